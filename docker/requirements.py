"""Print the runtime dependencies of a pyproject.toml, one a line (for a cached pip layer)."""

import sys

import tomllib

with open(sys.argv[1], "rb") as file:
    project = tomllib.load(file)["project"]
print("\n".join(project.get("dependencies", [])))
