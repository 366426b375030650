"""examples/ai-web, the seed's own example: a static-files web server whose image the
AI picks, checked by ContainerRunningAssert and HealthcheckAssert.

`plan` runs here under Pulumi's mocks with a scripted model and lists each resource's
assertions. The repair loop runs against real Docker through the real Pulumi engine:
the scripted model first picks an image that runs but answers no HTTP, reads the
failure in its prompt, then picks one that serves; everything passes in round 2.
Its images are imported offline (`docker import` of a busybox rootfs), never pulled.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clockwork.completion_testing import ScriptedModel
from clockwork_cli.testing import run_clockwork
from clockwork_docker.testing import (
    HTTPD,
    busybox_rootfs,
    docker,
    free_port,
    import_image,
    require_docker_deploys,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ai-web"
SILENT = '["/bin/sleep", "3600"]'  # runs, but nothing answers on port 80


def serving_answer(model: ScriptedModel, first: str, fixed: str) -> Any:
    """`first` until the prompt says the health check got no answer, then `fixed`."""

    def answer(name: str | None, attempt: int) -> Mapping[str, Any]:
        told = "expected status 200" in model.calls[-1].prompt
        return {"image": fixed if told else first, "volumes": [], "env_vars": {}}

    return answer


def test_plan_lists_each_resource_s_assertions_and_the_ai_s_image(
    no_pulumi_cli: Path, use_scripted_model: Any, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("CW_CACHE_DIR", str(tmp_path / "cache"))  # not inside the repository
    model = use_scripted_model(ScriptedModel({}))
    model.answers = {"ai-web": serving_answer(model, "nginx:1.27-alpine", "caddy:2")}

    text = run_clockwork("plan", str(EXAMPLE / "main.py")).stdout

    lines = text.splitlines()
    resource = lines.index("DockerResource 'ai-web'")
    shown = lines[resource : lines.index("", resource)]
    assert '  image           "nginx:1.27-alpine"  [AI]' in shown
    assert shown[-2:] == [
        "  assert ContainerRunningAssert()",
        "  assert HealthcheckAssert(timeout_seconds=20.0, url='http://127.0.0.1:8088/')",
    ]
    planned = json.loads(run_clockwork("plan", str(EXAMPLE / "main.py"), "--json").stdout)
    assert planned["resources"][0]["assertions"] == [
        s.removeprefix("  assert ") for s in shown[-2:]
    ]
    assert len(model.calls) == 1  # the second plan came from the cache


# ----- real Docker, real engine ------------------------------------------------------------


@dataclass(frozen=True)
class Images:
    silent: str
    serving: str


@pytest.fixture
def images(tmp_path: Path) -> Iterator[Images]:
    require_docker_deploys()  # before building anything
    rootfs = busybox_rootfs(
        tmp_path / "rootfs", ("sh", "httpd", "sleep"), {"www/index.html": "<h1>static files</h1>\n"}
    )
    (rootfs / "tmp").mkdir()
    suffix = uuid.uuid4().hex[:12]
    found = Images(f"clockwork-test-silent:{suffix}", f"clockwork-test-httpd:{suffix}")
    try:
        import_image(rootfs, found.silent, SILENT)
        import_image(rootfs, found.serving, HTTPD)
        yield found
    finally:
        docker("rmi", "-f", found.silent, found.serving, check=False)


@pytest.mark.pulumi_cli
def test_the_repair_loop_finds_a_serving_image_through_docker_and_the_engine(
    tmp_path: Path, use_scripted_model: Any, images: Images
) -> None:
    name, port = f"cw-ai-web-{uuid.uuid4().hex[:8]}", free_port()
    project = tmp_path / "ai-web"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    main = project / "main.py"
    source = main.read_text()
    assert 'name="ai-web",' in source and "8088" in source
    # The test's images are local (never pulled), its name and port its own.
    main.write_text(
        source.replace('name="ai-web",', f'name="{name}", pull=False,').replace("8088", str(port))
    )
    model = use_scripted_model(ScriptedModel({}))
    model.answers = {name: serving_answer(model, images.silent, images.serving)}
    try:
        deploy_and_repair(project, images, model)
    finally:
        run_clockwork("destroy", str(main), "--yes", code=None)
        docker("rm", "-f", name, check=False)


def deploy_and_repair(project: Path, images: Images, model: ScriptedModel) -> None:
    main = project / "main.py"
    result = run_clockwork("apply", str(main), "--yes", "--json", "--repair", "2")
    report = json.loads(result.stdout)["repair"]
    rounds = report["rounds"]
    assert [r["assertions"]["success"] for r in rounds] == [False, True], rounds
    health = [d for d in rounds[0]["assertions"]["details"] if "Healthcheck" in d["assertion"]]
    assert not health[0]["passed"]
    assert any(
        c["field"] == "image" and c["old"] == images.silent and c["new"] == images.serving
        for c in rounds[1]["changes"]
    )
    assert len(model.calls) == 2
    checked = json.loads(run_clockwork("assert", str(main), "--json").stdout)
    assert checked["success"], checked
    assert len(model.calls) == 2  # assert used the repaired image from the cache
