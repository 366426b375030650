"""A fully specified project: two files grouped in a composite. No AI needed."""

from clockwork import BlankResource
from clockwork_files import FileContentMatchesAssert, FileExistsAssert, FileResource

readme = FileResource(
    name="README.md",
    directory="site",
    description="Front page of the demo site",
    content="# Clockwork demo\n\nDeployed by Clockwork.\n",
    assertions=[FileExistsAssert(), FileContentMatchesAssert(pattern=r"^# Clockwork demo")],
)

config = FileResource(
    name="site.conf",
    directory="site",
    description="Settings of the demo site",
    content="title = Clockwork demo\nport = 8080\n",
    mode="600",
    assertions=[FileContentMatchesAssert(pattern=r"port = 8080")],
).connect(readme)

site = BlankResource(name="site", description="The demo site's files").add(readme, config)
