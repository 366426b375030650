"""A composite web app: a database, a cache and an API connected to both.

Fully specified, so `clockwork plan` needs no model. Leave `image` or `env_vars` of
the API out and the AI fills them from the description and the connected peers'
context (their images, ports and hostnames).
"""

from clockwork import BlankResource, PortAccessibleAssert
from clockwork_docker import ContainerRunningAssert, DockerResource, LogContainsAssert

db = DockerResource(
    name="db",
    description="PostgreSQL database of the shop",
    image="postgres:16-alpine",
    ports=[],  # reached by name on the app's network only
    env_vars={"POSTGRES_PASSWORD": "shop-dev-only", "POSTGRES_DB": "shop"},
    volumes=["shop-pgdata:/var/lib/postgresql/data"],
    assertions=[ContainerRunningAssert(), LogContainsAssert(pattern="ready to accept")],
)

cache = DockerResource(
    name="cache",
    description="Redis cache for sessions",
    image="redis:7-alpine",
    ports=[],
    assertions=[ContainerRunningAssert()],
)

api = DockerResource(
    name="api",
    description="The shop's HTTP API; stores orders in the database, sessions in the cache",
    image="traefik/whoami:v1.10",
    ports=["127.0.0.1:8080:80"],
    env_vars={
        "DATABASE_URL": "postgresql://postgres:shop-dev-only@db:5432/shop",
        "REDIS_URL": "redis://cache:6379/0",
    },
    assertions=[ContainerRunningAssert(), PortAccessibleAssert(port=8080)],
).connect(db, cache)

shop = BlankResource(name="shop", description="The shop web app").add(db, cache, api)
