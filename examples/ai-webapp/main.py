"""The web app again, with the AI filling what is left open.

Only descriptions and a few choices are given: the AI picks the images, names and
the API's environment (it sees the database's and the cache's completed values
through `.connect`). Run `clockwork plan` with a model configured, e.g.

    CW_API_KEY=... clockwork plan examples/ai-webapp/main.py
    CW_BASE_URL=http://127.0.0.1:8080/v1 clockwork plan ...   # a local server: auto mode

and `clockwork show` marks every field the AI filled with [AI].
"""

from clockwork import BlankResource, PortAccessibleAssert
from clockwork_docker import ContainerRunningAssert, DockerResource

db = DockerResource(
    description="PostgreSQL 16 database for the shop's orders",
    ports=[],
    env_vars={"POSTGRES_PASSWORD": "shop-dev-only", "POSTGRES_DB": "shop"},
    assertions=[ContainerRunningAssert()],
)

cache = DockerResource(
    description="Redis cache for the shop's sessions",
    ports=[],
    assertions=[ContainerRunningAssert()],
)

api = DockerResource(
    name="api",
    description="The shop's HTTP API on port 80: orders in the database, sessions in the cache",
    ports=["127.0.0.1:8080:80"],
    assertions=[ContainerRunningAssert(), PortAccessibleAssert(port=8080)],
).connect(db, cache)

shop = BlankResource(name="shop", description="The shop web app").add(db, cache, api)
