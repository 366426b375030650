"""Errors Clockwork reports to a user as one clear line, never as a traceback."""


class ClockworkError(Exception):
    """Any failure Clockwork can explain: the CLI prints the message and exits non-zero."""

    exit_code = 1


class UsageError(ClockworkError):
    """The user asked for something that cannot be done as asked (bad file, bad option)."""

    exit_code = 2


class ProjectError(ClockworkError):
    """main.py cannot be loaded, or what it declares is inconsistent."""

    exit_code = 2


class CycleError(ProjectError):
    """Resources depend on each other in a loop; `path` lists the loop's names in order."""

    def __init__(self, path: list[str]):
        self.path = path
        super().__init__("dependency cycle: " + " → ".join(path))


class PluginError(ClockworkError):
    """A plugin failed to import or to register, or two plugins claim the same name."""


class EngineMissingError(ClockworkError):
    """The Pulumi CLI is not installed: engine commands cannot run."""
