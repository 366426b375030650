"""A git clone and a file that documents it, deployed together.

The note connects to the repository, so it is written after the clone.
"""

from clockwork_files import FileContentMatchesAssert, FileResource
from clockwork_git import GitRepoClonedAssert, GitRepoResource

fastapi = GitRepoResource(
    name="fastapi",
    description="The FastAPI web framework's source code",
    repo_url="https://github.com/fastapi/fastapi.git",
    dest="vendor/fastapi",
    branch="master",
    assertions=[GitRepoClonedAssert()],
)

notes = FileResource(
    name="VENDORED.md",
    description="Explains which repositories are vendored and why",
    content="# Vendored\n\n- vendor/fastapi: FastAPI, for reading its source.\n",
    assertions=[FileContentMatchesAssert(pattern=r"vendor/fastapi")],
).connect(fastapi)
