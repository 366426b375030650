"""What a deploy never loses, through the real Pulumi engine (marked `pulumi_cli`):
renamed and moved resources keep their file, destroy keeps what the user changed and
never deletes behind a symlink."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from clockwork.testing import plugin_host
from clockwork_cli.testing import run_clockwork as clockwork

pytestmark = pytest.mark.pulumi_cli


@pytest.fixture(autouse=True)
def installed_plugins(clean_env: pytest.MonkeyPatch) -> Iterator[None]:
    with plugin_host(entry_points=True):
        yield


def write_main(project: Path, source: str) -> str:
    project.mkdir(exist_ok=True)
    (project / "main.py").write_text(textwrap.dedent(source))
    return str(project / "main.py")


ONE_FILE = """
    from clockwork_files import FileResource

    readme = FileResource(name="README.md", directory="site", description="d",
                          content="# hello\\n")
"""

MOVED_INTO_A_COMPOSITE = """
    from clockwork import BlankResource
    from clockwork_files import FileResource

    readme = FileResource(name="README.md", directory="site", description="d",
                          content="# hello\\n")
    site = BlankResource(name="site", description="the site").add(readme)
"""


def test_moving_a_resource_into_a_composite_keeps_its_file(tmp_path: Path) -> None:
    """Before: the new URN adopted the file, then the old URN's delete removed it."""
    project = tmp_path / "project"
    main = write_main(project, ONE_FILE)
    clockwork("apply", main, "--yes")
    readme = project / "site" / "README.md"
    assert readme.read_text() == "# hello\n"

    write_main(project, MOVED_INTO_A_COMPOSITE)
    moved = json.loads(clockwork("apply", main, "--yes", "--json").stdout)
    assert readme.read_text() == "# hello\n"
    # Its last URN went along as an alias: the same resource, not a new one.
    assert [s["op"] for s in moved["steps"] if s["name"] == "README.md"] in ([], ["update"])

    write_main(project, ONE_FILE)  # and out again
    clockwork("apply", main, "--yes")
    assert readme.read_text() == "# hello\n"

    clockwork("destroy", main, "--yes")  # still Clockwork's: destroy removes it
    assert not readme.exists() and not (project / "site").exists()


def test_destroy_keeps_a_file_edited_since_deploy_unless_forced(tmp_path: Path) -> None:
    project = tmp_path / "project"
    main = write_main(project, ONE_FILE)
    clockwork("apply", main, "--yes")
    readme = project / "site" / "README.md"
    readme.write_text("# hello\n\nthe user's notes\n")

    kept = clockwork("destroy", main, "--yes", code=1)
    assert f"kept {readme}: it was edited after Clockwork wrote it" in kept.stderr
    assert readme.read_text() == "# hello\n\nthe user's notes\n"

    clockwork("destroy", main, "--yes", "--force")
    assert not readme.exists()


def test_destroy_never_deletes_behind_a_symlink_put_in_place_of_its_folder(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "users-folder"
    main = write_main(project, ONE_FILE)
    clockwork("apply", main, "--yes")
    elsewhere.mkdir()
    (elsewhere / "README.md").write_text("# hello\n")  # same name, same bytes: the user's
    (project / "site" / "README.md").unlink()
    (project / "site").rmdir()
    (project / "site").symlink_to(elsewhere)

    kept = clockwork("destroy", main, "--yes", code=1)
    assert "symlink" in kept.stderr
    clockwork("destroy", main, "--yes", "--force")  # forgotten, nothing deleted
    assert (elsewhere / "README.md").read_text() == "# hello\n"
    assert (project / "site").is_symlink()
