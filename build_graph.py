"""Build everything from a clean clone: the graph, all exports and the HTML view (same as `kg build`)."""

from kg.cli import cli

if __name__ == "__main__":
    cli(["build", *__import__("sys").argv[1:]])
