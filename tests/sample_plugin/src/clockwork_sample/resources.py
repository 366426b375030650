"""The sample plugin's types. pulumi is imported inside `to_pulumi` only, so that
loading the plugin at CLI start-up stays cheap."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from clockwork import Assertion, AssertionFailed, Resource


class SampleResource(Resource):
    """A made-up "thing" with a size and a color; the AI may pick either."""

    size: int | None = Field(None, ge=1, description="How big the thing is.")
    color: str | None = Field(None, description="The thing's color, e.g. 'red'.")

    def to_pulumi(self, opts: Any = None) -> Any:
        import pulumi

        return pulumi.CustomResource(
            "sample:index:Thing", self.name, {"size": self.size, "color": self.color}, opts
        )


class ThingColorAssert(Assertion):
    """The checked SampleResource has the expected color."""

    color: str

    def check(self, resource: Resource | None) -> str:
        found = getattr(resource, "color", None)
        if found != self.color:
            raise AssertionFailed(f"expected color {self.color!r}, found {found!r}")
        return f"color is {found!r}"
