"""FileProvider, called directly on real files (no Pulumi engine involved)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from clockwork_files.provider import FileProvider, sha256_of

LONE_SURROGATE = "half \udcff written"  # str that cannot be encoded as UTF-8


def props(path: Path, content: str = "hello\n", mode: str = "0644") -> dict:
    return {"path": str(path), "content": content, "mode": mode}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def provider() -> FileProvider:
    return FileProvider()


# ----- create -----------------------------------------------------------------------------


def test_create_writes_content_and_mode(provider, tmp_path):
    target = tmp_path / "run.sh"
    result = provider.create(props(target, "#!/bin/sh\necho héllo ✓\n", "0755"))

    assert result.id == str(target)
    assert target.read_bytes() == "#!/bin/sh\necho héllo ✓\n".encode()
    assert mode_of(target) == 0o755
    assert result.outs["content"] == "#!/bin/sh\necho héllo ✓\n"
    assert result.outs["mode"] == "0755"
    assert result.outs["sha256"] == sha256_of("#!/bin/sh\necho héllo ✓\n")
    assert result.outs["created_dirs"] == []
    assert result.outs["adopted"] is False
    assert entries(tmp_path) == ["run.sh"]  # no temp file left behind


@pytest.mark.parametrize(
    "mode, expected", [("0600", 0o600), ("0644", 0o644), ("0400", 0o400), ("1777", 0o1777)]
)
def test_create_sets_exact_mode_regardless_of_umask(provider, tmp_path, mode, expected):
    previous = os.umask(0o077)
    try:
        target = tmp_path / "f.txt"
        provider.create(props(target, mode=mode))
    finally:
        os.umask(previous)
    assert mode_of(target) == expected


def test_create_makes_missing_folders_and_reports_them_outermost_first(provider, tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    result = provider.create(props(target))

    assert target.read_text() == "hello\n"
    assert result.outs["created_dirs"] == [str(tmp_path / "a"), str(tmp_path / "a" / "b")]


def test_create_reports_only_the_folders_it_created(provider, tmp_path):
    (tmp_path / "a").mkdir()
    result = provider.create(props(tmp_path / "a" / "b" / "c.txt"))
    assert result.outs["created_dirs"] == [str(tmp_path / "a" / "b")]


def test_create_with_empty_content(provider, tmp_path):
    target = tmp_path / "empty"
    provider.create(props(target, ""))
    assert target.read_bytes() == b""


def test_create_refuses_existing_file_with_other_content(provider, tmp_path):
    target = tmp_path / "config.ini"
    target.write_text("the user's own\n")
    target.chmod(0o600)
    before = target.stat()

    with pytest.raises(FileExistsError, match="config.ini already exists"):
        provider.create(props(target, "ours\n", "0644"))

    assert target.read_text() == "the user's own\n"
    assert mode_of(target) == 0o600
    assert target.stat().st_ino == before.st_ino  # not even replaced by a copy
    assert entries(tmp_path) == ["config.ini"]


def test_create_refuses_existing_binary_file(provider, tmp_path):
    target = tmp_path / "blob.bin"
    target.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(FileExistsError):
        provider.create(props(target, "text"))
    assert target.read_bytes() == b"\xff\xfe\x00binary"


def test_create_refuses_a_folder_at_the_path(provider, tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "inside").write_text("x")
    with pytest.raises(FileExistsError):
        provider.create(props(tmp_path / "dir"))
    assert entries(tmp_path / "dir") == ["inside"]


def test_create_refuses_a_dangling_symlink(provider, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileExistsError):
        provider.create(props(link))
    assert link.is_symlink()
    assert not (tmp_path / "nowhere").exists()


def test_create_adopts_identical_file_and_delete_leaves_it(provider, tmp_path):
    target = tmp_path / "same.txt"
    target.write_text("hello\n")

    result = provider.create(props(target, "hello\n"))
    assert result.outs["adopted"] is True
    assert result.outs["created_dirs"] == []
    assert target.read_text() == "hello\n"

    provider.delete(result.id, result.outs)
    assert target.read_text() == "hello\n"


def test_failing_create_leaves_no_file_no_temp_and_no_new_folders(provider, tmp_path):
    target = tmp_path / "new" / "deeper" / "bad.txt"
    with pytest.raises(UnicodeEncodeError):
        provider.create(props(target, LONE_SURROGATE))
    assert entries(tmp_path) == []


def test_invalid_mode_fails_before_touching_the_disk(provider, tmp_path):
    target = tmp_path / "new" / "f.txt"
    with pytest.raises(ValueError, match="mode"):
        provider.create(props(target, mode="rwx"))
    assert entries(tmp_path) == []


# ----- atomic write -----------------------------------------------------------------------


def test_failing_update_keeps_old_file_intact_and_leaves_no_temp(provider, tmp_path):
    target = tmp_path / "keep.txt"
    created = provider.create(props(target, "old content\n", "0640"))

    with pytest.raises(UnicodeEncodeError):
        provider.update(created.id, created.outs, props(target, LONE_SURROGATE, "0600"))

    assert target.read_text() == "old content\n"
    assert mode_of(target) == 0o640
    assert entries(tmp_path) == ["keep.txt"]


def test_rewrite_replaces_the_file_rather_than_writing_in_place(provider, tmp_path):
    target = tmp_path / "f.txt"
    created = provider.create(props(target, "one\n"))
    # A reader holding the old file keeps seeing the old, complete content.
    with open(target) as reader:
        provider.update(created.id, created.outs, props(target, "two\n"))
        assert reader.read() == "one\n"
    assert target.read_text() == "two\n"
    assert entries(tmp_path) == ["f.txt"]


# ----- read -------------------------------------------------------------------------------


def test_read_returns_current_content_and_mode(provider, tmp_path):
    target = tmp_path / "f.txt"
    created = provider.create(props(target, "v1\n", "0644"))
    target.write_text("changed by hand\n")
    target.chmod(0o600)

    result = provider.read(created.id, created.outs)

    assert result.id == str(target)
    assert result.outs["content"] == "changed by hand\n"
    assert result.outs["mode"] == "0600"
    assert result.outs["sha256"] == sha256_of("changed by hand\n")
    assert result.outs["path"] == str(target)
    assert result.outs["created_dirs"] == created.outs["created_dirs"]


def test_read_of_a_file_replaced_by_binary_bytes_shows_a_change(provider, tmp_path):
    target = tmp_path / "f.txt"
    created = provider.create(props(target, "text\n"))
    target.write_bytes(b"\xff\xfe binary")

    result = provider.read(created.id, created.outs)

    assert result.outs["content"] != "text\n"
    assert provider.diff(created.id, result.outs, props(target, "text\n")).changes is True


def test_read_of_unchanged_file_matches_create(provider, tmp_path):
    target = tmp_path / "sub" / "f.txt"
    created = provider.create(props(target, "same\n", "0755"))
    assert provider.read(created.id, created.outs).outs == created.outs


def test_read_of_missing_file_returns_no_id(provider, tmp_path):
    target = tmp_path / "f.txt"
    created = provider.create(props(target))
    target.unlink()

    result = provider.read(created.id, created.outs)
    assert result.id is None


# ----- diff -------------------------------------------------------------------------------


def test_diff_path_change_replaces(provider, tmp_path):
    olds = props(tmp_path / "a.txt")
    news = props(tmp_path / "b.txt")
    result = provider.diff(olds["path"], olds, news)
    assert result.changes is True
    assert result.replaces == ["path"]


@pytest.mark.parametrize("field, value", [("content", "other\n"), ("mode", "0600")])
def test_diff_content_or_mode_change_updates_in_place(provider, tmp_path, field, value):
    olds = props(tmp_path / "a.txt")
    news = {**olds, field: value}
    result = provider.diff(olds["path"], olds, news)
    assert result.changes is True
    assert not result.replaces


def test_diff_without_change(provider, tmp_path):
    created = provider.create(props(tmp_path / "a.txt"))
    # Pulumi passes the old outputs (with sha256, created_dirs...) and the new inputs.
    result = provider.diff(created.id, created.outs, props(tmp_path / "a.txt"))
    assert result.changes is False
    assert not result.replaces


# ----- update -----------------------------------------------------------------------------


def test_update_rewrites_content_and_mode_and_keeps_bookkeeping(provider, tmp_path):
    target = tmp_path / "made" / "f.txt"
    created = provider.create(props(target, "v1\n", "0644"))

    result = provider.update(created.id, created.outs, props(target, "v2\n", "0750"))

    assert target.read_text() == "v2\n"
    assert mode_of(target) == 0o750
    assert result.outs["content"] == "v2\n"
    assert result.outs["mode"] == "0750"
    assert result.outs["sha256"] == sha256_of("v2\n")
    assert result.outs["created_dirs"] == [str(tmp_path / "made")]
    assert result.outs["adopted"] is False
    assert entries(tmp_path / "made") == ["f.txt"]


# ----- delete -----------------------------------------------------------------------------


def test_delete_removes_file_and_the_folders_it_created(provider, tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    created = provider.create(props(target))

    provider.delete(created.id, created.outs)

    assert entries(tmp_path) == []


def test_delete_keeps_folders_that_existed_before(provider, tmp_path):
    (tmp_path / "a").mkdir()
    created = provider.create(props(tmp_path / "a" / "b" / "c.txt"))

    provider.delete(created.id, created.outs)

    assert entries(tmp_path) == ["a"]
    assert entries(tmp_path / "a") == []


def test_delete_keeps_a_created_folder_holding_a_user_file(provider, tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    created = provider.create(props(target))
    (tmp_path / "a" / "notes.md").write_text("mine\n")

    provider.delete(created.id, created.outs)

    assert not target.exists()
    assert not (tmp_path / "a" / "b").exists()  # empty: removed
    assert entries(tmp_path / "a") == ["notes.md"]
    assert (tmp_path / "a" / "notes.md").read_text() == "mine\n"


def test_delete_keeps_inner_and_outer_folders_when_the_inner_one_is_used(provider, tmp_path):
    target = tmp_path / "a" / "b" / "c.txt"
    created = provider.create(props(target))
    (tmp_path / "a" / "b" / "other.txt").write_text("mine\n")

    provider.delete(created.id, created.outs)

    assert entries(tmp_path / "a" / "b") == ["other.txt"]


def test_delete_of_a_file_already_gone_succeeds(provider, tmp_path):
    target = tmp_path / "d" / "f.txt"
    created = provider.create(props(target))
    target.unlink()

    provider.delete(created.id, created.outs)

    assert entries(tmp_path) == []


def test_full_lifecycle(provider, tmp_path):
    target = tmp_path / "etc" / "app.conf"
    created = provider.create(props(target, "port = 80\n"))
    news = props(target, "port = 8080\n", "0600")
    assert provider.diff(created.id, created.outs, news).changes is True
    updated = provider.update(created.id, created.outs, news)
    read = provider.read(created.id, updated.outs)
    assert read.outs["content"] == "port = 8080\n"
    assert provider.diff(created.id, read.outs, news).changes is False
    provider.delete(created.id, read.outs)
    assert entries(tmp_path) == []


# ----- what is never lost -----------------------------------------------------------------


def claimed(path: Path, claimant: str, claims: Path, content: str = "hello\n") -> dict:
    return {**props(path, content), "__claimant": claimant, "__claims_dir": str(claims)}


def test_an_adopted_file_keeps_its_mode_and_inode(provider, tmp_path):
    target = tmp_path / "same.txt"
    target.write_text("hello\n")
    target.chmod(0o600)
    inode = target.stat().st_ino

    result = provider.create({"path": str(target), "content": "hello\n"})  # no mode asked

    assert result.outs["adopted"] is True
    assert mode_of(target) == 0o600 and target.stat().st_ino == inode


def test_create_never_replaces_a_symlink_even_to_identical_content(provider, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("hello\n")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with pytest.raises(FileExistsError, match="is a symlink"):
        provider.create(props(link, "hello\n"))
    assert link.is_symlink() and real.read_text() == "hello\n"


def test_a_file_edited_after_deploy_is_kept_unless_forced(provider, tmp_path, monkeypatch):
    target = tmp_path / "notes.txt"
    created = provider.create(props(target, "v1\n"))
    target.write_text("v1 and the user's own line\n")

    with pytest.raises(Exception, match="edited after Clockwork wrote it.*--force"):
        provider.delete(created.id, created.outs)
    assert target.read_text() == "v1 and the user's own line\n"

    monkeypatch.setenv("CLOCKWORK_FORCE", "1")
    provider.delete(created.id, created.outs)
    assert not target.exists()


def test_delete_never_follows_a_symlink_put_in_place_of_a_created_folder(
    provider, tmp_path, monkeypatch
):
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    target = project / "site" / "README.md"
    created = provider.create(props(target))
    (outside / "README.md").write_text("hello\n")  # the user's, outside the project
    target.unlink()
    (project / "site").rmdir()
    (project / "site").symlink_to(outside)

    with pytest.raises(Exception, match="symlink"):
        provider.delete(created.id, created.outs)
    monkeypatch.setenv("CLOCKWORK_FORCE", "1")  # forgets it, still touches nothing
    provider.delete(created.id, created.outs)
    assert (outside / "README.md").read_text() == "hello\n"
    assert (project / "site").is_symlink()


def test_a_file_taken_over_by_a_renamed_resource_survives_the_old_ones_delete(provider, tmp_path):
    """The engine creates the new URN first, then deletes the old one."""
    target, claims = tmp_path / "site" / "a.txt", tmp_path / ".clockwork" / "claims"
    old = provider.create(claimed(target, "FileResource:a.txt", claims))
    new = provider.create(claimed(target, "FileResource:site/a.txt", claims))
    assert new.outs["adopted"] is False  # Clockwork's file, now the new resource's

    provider.delete(old.id, old.outs)
    assert target.read_text() == "hello\n"

    provider.delete(new.id, new.outs)  # the last holder does remove it
    assert not target.exists()
    assert not (tmp_path / ".clockwork").exists()


def test_removing_created_folders_stops_at_a_symlink(tmp_path):
    from clockwork.folders import remove_empty_folders

    outside = tmp_path / "outside"
    (outside / "b").mkdir(parents=True)
    (tmp_path / "a").symlink_to(outside)
    remove_empty_folders([str(tmp_path / "a"), str(tmp_path / "a" / "b")])
    assert (outside / "b").is_dir()
