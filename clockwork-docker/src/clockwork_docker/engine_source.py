"""How `clockwork setup` builds the docker engine plugin where it cannot be downloaded.

pulumi-docker's own provider module is not served by the Go proxy, but the pieces it
is made of are: the Terraform bridge and kreuzwerker's Terraform Docker provider. Our
own small bridge program (Go sources in `engine/`) maps just the resources Clockwork
deploys, under the names the pulumi_docker SDK sends, and reports the SDK's version.

The provider's Go package is `internal`, importable only from inside its module, so
the build works on a copy of that module with one file of ours added
(`engine/_upstream/clockworkshim`; Go skips `_` folders in our own module).

The plugin makes its Pulumi schema from the bridge when it starts (tfgen, a fraction
of a second): nothing generated from the upstream provider is kept in our sources.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from clockwork.engine_setup import GoSource

SDK_VERSION = "5.2.0"  # the pulumi_docker SDK this bridge answers for (bridge.Version)
BRIDGE_MODULE = "clockwork.invalid/dockerbridge"
TERRAFORM_BRIDGE = "github.com/pulumi/pulumi-terraform-bridge/v3@v3.137.0"
# The provider's go.mod names it github.com/terraform-providers/…; the proxy serves
# it under its repository's path.
UPSTREAM_MODULE = "github.com/terraform-providers/terraform-provider-docker"
UPSTREAM_SOURCE = "github.com/kreuzwerker/terraform-provider-docker"
UPSTREAM_VERSION = "v0.0.0-20260916201441-96d331c98ff4"
# The bridge's own go.mod replaces the SDK with Pulumi's fork; a builder must too.
SDK_FORK = (
    "github.com/hashicorp/terraform-plugin-sdk/v2 => "
    "github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20260318212141-5525259d096b"
)

SOURCES = Path(__file__).resolve().parent / "engine"


def docker_bridge_source() -> GoSource:
    return GoSource(
        get=(f"{BRIDGE_MODULE}@v0.0.0", TERRAFORM_BRIDGE, f"{UPSTREAM_MODULE}@{UPSTREAM_VERSION}"),
        binaries=(f"{BRIDGE_MODULE}/cmd/pulumi-resource-docker",),
        replaces=(
            SDK_FORK,
            f"{BRIDGE_MODULE} => ./dockerbridge",
            f"{UPSTREAM_MODULE} => ./upstream-docker",
        ),
        ldflags="-s -w",
        prepare=write_local_modules,
        minutes=5,  # about 3 min compiling with an empty Go build cache, plus tfgen
    )


def write_local_modules(workdir: Path, fetch: Callable[[str], Path]) -> None:
    """Our bridge module, and the upstream provider's module with our shim added."""
    shutil.copytree(SOURCES, workdir / "dockerbridge", ignore=shutil.ignore_patterns("_*"))
    upstream = workdir / "upstream-docker"
    # Module cache files are read-only; the copy must take our file and go's go.sum.
    shutil.copytree(fetch(f"{UPSTREAM_SOURCE}@{UPSTREAM_VERSION}"), upstream)
    for path in (upstream, *upstream.rglob("*")):
        path.chmod(path.stat().st_mode | 0o200)
    shutil.copytree(SOURCES / "_upstream", upstream, dirs_exist_ok=True)
