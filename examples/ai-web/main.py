"""The seed's own example: a web server for static files, the server left to the AI.

Only what it must do is given: serve on port 80, published on 127.0.0.1:8088. The AI
picks the image (nginx, caddy, ...); the assertions say what "working" means, and
`apply --repair` asks the AI again, with the failures in its prompt, until they pass:

    CW_API_KEY=... clockwork plan examples/ai-web/main.py     # lists each assertion
    CW_API_KEY=... clockwork apply examples/ai-web/main.py --yes --repair 2
    clockwork assert examples/ai-web/main.py                  # no model call: cached

Each image serves its own welcome page at /, so no content is mounted: where a server
reads its files from depends on which one the AI picks, and a host folder is only
ever mounted by the user (`volumes=`).
"""

from clockwork import HealthcheckAssert
from clockwork_docker import ContainerRunningAssert, DockerResource

web = DockerResource(
    name="ai-web",
    description="A web server for static files, answering HTTP on port 80",
    ports=["127.0.0.1:8088:80"],
    assertions=[
        ContainerRunningAssert(),
        HealthcheckAssert(url="http://127.0.0.1:8088/", timeout_seconds=20),
    ],
)
