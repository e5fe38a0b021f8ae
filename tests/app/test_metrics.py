"""Prometheus metrics: exact names and labels, in one process and summed over gunicorn workers."""

from __future__ import annotations

import glob
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import Metrics, RequestTotals, stored_size
from app.services import Services
from tests.conftest import SCHEMA_DIR, start_gunicorn, stop_process
from tests.httpclient import HttpClient
from tests.metrics_samples import Samples, parse, scrape, total, value
from tests.stored import stored

CART = "checkout.cart.v1"  # has a schema in schemas/
GOOD_CART = {"currency": "EUR", "items": [{"sku": "A-1", "quantity": 2, "unitPrice": 3.5}]}
BAD_CART = {"currency": "XXX"}
USER = "type: object\nproperties:\n  name: {type: string}\n"
BROKEN = "type: object\nproperties:\n  name: {type: strin}\n"

REQUEST_LABELS = {"method", "route", "status"}
HISTOGRAM_LABELS = {"le"}
FAMILIES = {
    "sessionator_http_requests": ("counter", REQUEST_LABELS),
    "sessionator_http_request_duration_seconds": ("histogram", REQUEST_LABELS),
    "sessionator_redis_call_duration_seconds": ("histogram", {"method"}),
    "sessionator_redis_call_errors": ("counter", {"method"}),
    "sessionator_validation_failures": ("counter", {"namespace"}),
    "sessionator_document_bytes": ("histogram", {"namespace"}),
    "sessionator_schema_reloads": ("counter", set()),
    "sessionator_schema_reload_errors": ("counter", set()),
    "sessionator_schema_problems": ("gauge", set()),
}


def merge(client: FlaskClient, path: str, patch: dict[str, Any]) -> None:
    client.patch(path, data=json.dumps(patch), content_type="application/merge-patch+json")


def test_metrics_are_prometheus_text_with_every_family(client: FlaskClient) -> None:
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(reply.get_data(as_text=True))}
    # Families with labels appear once they have a series; the unlabelled ones at once.
    assert {"sessionator_schema_reloads", "sessionator_schema_problems"} <= set(families)
    assert set(families) <= set(FAMILIES)


def test_requests_are_counted_by_route_template_never_by_path(client: FlaskClient) -> None:
    client.put(f"/v1/sessions/user-1/{CART}", json=GOOD_CART)
    client.get(f"/v1/sessions/user-1/{CART}")
    client.get(f"/v1/sessions/user-2/{CART}")
    client.get("/v1/sessions/user-1?namespaces=a&namespaces=b")
    samples = scrape(client)
    one = "/v1/sessions/<sid>/<ns>"
    assert (
        value(samples, "sessionator_http_requests_total", method="GET", route=one, status="200")
        == 1
    )
    assert (
        value(samples, "sessionator_http_requests_total", method="GET", route=one, status="404")
        == 1
    )
    assert (
        value(samples, "sessionator_http_requests_total", method="PUT", route=one, status="200")
        == 1
    )
    assert total(samples, "sessionator_http_requests_total", route="/v1/sessions/<sid>") == 1
    assert total(samples, "sessionator_http_request_duration_seconds_count", route=one) == 3
    assert not [key for key in samples if "user-1" in str(key) or "namespaces" in str(key)]


def test_unmatched_paths_and_unusual_methods_have_fixed_labels(client: FlaskClient) -> None:
    for path in ("/nope", "/v1/sessions/x/y/z", "/another"):
        client.get(path)
    client.open("/v1/sessions/s1", method="BREW")
    samples = scrape(client)
    labels = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(samples, "sessionator_http_requests_total", **labels) == 3
    assert (
        value(
            samples,
            "sessionator_http_requests_total",
            method="other",
            route="unmatched",
            status="405",
        )
        == 1
    )


def test_validation_failures_are_counted_by_schema_namespace(client: FlaskClient) -> None:
    client.put(f"/v1/sessions/s1/{CART}", json=BAD_CART)
    client.put(f"/v1/sessions/s1/{CART}", json=GOOD_CART)
    merge(client, f"/v1/sessions/s1/{CART}", {"currency": "XXX"})
    client.put("/v1/sessions/s1/free.form", json={"anything": 1})  # no schema: never a 422
    samples = scrape(client)
    assert value(samples, "sessionator_validation_failures_total", namespace=CART) == 2
    assert total(samples, "sessionator_validation_failures_total") == 2


def test_document_sizes_are_the_stored_bytes_and_free_namespaces_are_other(
    client: FlaskClient, store: redis.Redis
) -> None:
    client.put(f"/v1/sessions/s1/{CART}", json=GOOD_CART)
    merge(client, f"/v1/sessions/s1/{CART}", {"currency": "GBP"})
    for ns in ("free.one", "free.two"):
        client.put(f"/v1/sessions/s1/{ns}", json={"note": "x" * 300})
    samples = scrape(client)
    cart = len(stored(store, "s1", f"{CART}") or b"")
    free = sum(len(stored(store, "s1", f"{ns}") or b"") for ns in ("free.one", "free.two"))
    assert value(samples, "sessionator_document_bytes_count", namespace=CART) == 2
    assert value(samples, "sessionator_document_bytes_bucket", namespace=CART, le="64.0") == 0
    assert value(samples, "sessionator_document_bytes_sum", namespace=CART) > cart  # PUT + PATCH
    assert value(samples, "sessionator_document_bytes_sum", namespace="other") == free
    assert total(samples, "sessionator_document_bytes_count") == 4


@pytest.mark.parametrize("expires", [b"null", b'"2017-03-26T23:14:10.617Z"'])
def test_stored_size_leaves_out_the_expiry_serving_adds(expires: bytes) -> None:
    stored = b'{"_session":"s","_namespace":"n","_modified":"2017-03-26T23:14:10.617Z","v":1}'
    at = stored.index(b',"v"')
    assert stored_size(stored[:at] + b',"_expires":' + expires + stored[at:]) == len(stored)


def test_redis_calls_are_timed_by_the_operation_they_serve(
    client: FlaskClient, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    client.get("/v1/sessions/s1/ns")
    client.put("/v1/sessions/s1/ns", json={"v": 1})
    client.get("/v1/sessions/s1")
    merge = {"Content-Type": "application/merge-patch+json"}
    client.patch("/v1/sessions/s1/ns", data='{"v": 2}', headers=merge)  # a read, then a write
    client.post("/v1/sessions/s1/_touch")
    client.delete("/v1/sessions/s1/ns")
    client.delete("/v1/sessions/s1")
    samples = scrape(client)
    calls = {"read": 1, "put": 1, "read_session": 1, "patch": 2, "touch": 1, "delete": 1}
    for operation, count in {**calls, "delete_session": 1}.items():
        assert value(
            samples, "sessionator_redis_call_duration_seconds_count", method=operation
        ) == (count), operation
    assert total(samples, "sessionator_redis_call_errors_total") == 0
    down = make_app(REDIS_URL=f"unix://{tmp_path}/nothing.sock").test_client()
    assert down.get("/v1/sessions/s1/ns").status_code == 503
    samples = scrape(down)
    assert value(samples, "sessionator_redis_call_errors_total", method="read") == 1


def test_schema_reloads_and_their_problems_are_counted(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = make_app(SCHEMA_DIR=str(tmp_path))
    services: Services = app.extensions["sessionator"]
    client = app.test_client()
    before = scrape(client)
    (tmp_path / "team.user.v1.yaml").write_text(USER)
    assert services.schemas.reload_if_changed()
    (tmp_path / "team.broken.v1.yaml").write_text(BROKEN)
    assert services.schemas.reload_if_changed()
    after = scrape(client)
    assert value(before, "sessionator_schema_reloads_total") == 0
    assert value(after, "sessionator_schema_reloads_total") == 2
    assert value(after, "sessionator_schema_reload_errors_total") == 1
    assert value(after, "sessionator_schema_problems") == 1


def test_metrics_need_no_api_key(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.yaml"
    tenants.write_text("tenants: {}\n")
    app = make_app(TENANTS_FILE=str(tenants))
    client = app.test_client()
    assert client.get("/v1/sessions/s1").status_code == 401
    samples = scrape(client)
    assert (
        value(
            samples,
            "sessionator_http_requests_total",
            method="GET",
            route="/v1/sessions/<sid>",
            status="401",
        )
        == 1
    )


def test_each_app_counts_in_a_registry_of_its_own(make_app: Callable[..., Flask]) -> None:
    first, second = make_app().test_client(), make_app().test_client()
    first.get("/healthz")
    assert total(scrape(second), "sessionator_http_requests_total", route="/healthz") == 0
    assert isinstance(first.application.extensions["sessionator"].metrics, Metrics)


def test_request_totals_count_every_answer_and_its_refusals_and_failures(
    client: FlaskClient,
) -> None:
    metrics: Metrics = client.application.extensions["sessionator"].metrics
    client.put(f"/v1/sessions/user-1/{CART}", json=GOOD_CART)
    client.put(f"/v1/sessions/user-1/{CART}", json=BAD_CART)
    client.get("/v1/sessions/bad%20id")
    client.get("/nowhere")
    assert metrics.request_totals() == RequestTotals(answered=4, refused=3, failed=0)


# Through gunicorn: two worker processes, one scrape.


@pytest.fixture
def workers(tmp_path: Path, redis_url: str) -> Iterator[tuple[HttpClient, Path, Path]]:
    """A gunicorn with 2 workers, its own schema directory and metrics directory."""
    schemas, counts = tmp_path / "schemas", tmp_path / "metrics"
    schemas.mkdir()
    counts.mkdir()
    (schemas / f"{CART}.yaml").write_text((SCHEMA_DIR / f"{CART}.yaml").read_text())
    (counts / "counter_999999.db").write_bytes(b"left over")  # emptied at start
    env = {
        "REDIS_URL": redis_url,
        "SCHEMA_DIR": str(schemas),
        "SCHEMA_POLL_MS": "100",
        "PROMETHEUS_MULTIPROC_DIR": str(counts),
    }
    process, port = start_gunicorn(env, workers=2)
    # start_gunicorn returns once one worker answers; the test needs both loaded (each sets
    # its schema gauge at start), or a schema placed now would be the other's first load.
    wait_for(lambda: len(glob.glob(f"{counts}/gauge_*.db")) == 2, timeout=20.0)
    yield HttpClient(f"http://127.0.0.1:{port}"), schemas, counts
    stop_process(process)


def scrape_http(http: HttpClient) -> Samples:
    reply = http.get("/metrics")
    assert reply.status == 200
    return parse(reply.body.decode())


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.gunicorn
def test_one_scrape_counts_the_requests_of_every_worker(
    workers: tuple[HttpClient, Path, Path],
) -> None:
    http, _, counts = workers
    for number in range(50):  # each on a new connection: the kernel spreads them
        assert http.get(f"/v1/sessions/spread-{number}").status == 200
    samples = scrape_http(http)
    route = {"method": "GET", "route": "/v1/sessions/<sid>", "status": "200"}
    assert value(samples, "sessionator_http_requests_total", **route) == 50
    assert value(samples, "sessionator_http_request_duration_seconds_count", **route) == 50
    assert (
        value(samples, "sessionator_redis_call_duration_seconds_count", method="read_session") == 50
    )
    by_worker = [
        value(parse_files([name]), "sessionator_http_requests_total", **route)
        for name in glob.glob(str(counts / "counter_*.db"))
    ]
    served = [count for count in by_worker if count]
    assert len(served) == 2 and sum(served) == 50, by_worker  # both workers served some
    assert not (counts / "counter_999999.db").exists()


@pytest.mark.gunicorn
def test_request_totals_add_up_every_workers_files(
    workers: tuple[HttpClient, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, _, counts = workers
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(counts))
    before = Metrics().request_totals()  # the start-up probe's /readyz
    for number in range(20):
        assert http.get(f"/v1/sessions/spread-{number}").status == 200
    assert http.get("/v1/sessions/bad%20id").status == 400
    after = Metrics().request_totals()
    assert (after.answered - before.answered, after.refused, after.failed) == (21, 1, 0)


def parse_files(names: list[str]) -> Samples:
    """The samples of some of the multiprocess files: one worker's share."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in MultiProcessCollector.merge(names, accumulate=True)
        for sample in family.samples
    }


@pytest.mark.gunicorn
def test_gunicorn_exposes_exactly_these_families_and_labels(
    workers: tuple[HttpClient, Path, Path],
) -> None:
    http, schemas, _ = workers
    assert http.put_json(f"/v1/sessions/s1/{CART}", GOOD_CART).status == 200
    assert http.put_json(f"/v1/sessions/s1/{CART}", BAD_CART).status == 422
    assert http.put_json("/v1/sessions/s1/free.form", {"v": 1}).status == 200
    staged = schemas.parent / "team.broken.v1.yaml"
    staged.write_text(BROKEN)
    staged.replace(schemas / staged.name)  # whole at once: one reload per worker
    wait_for(lambda: value(scrape_http(http), "sessionator_schema_reloads_total") == 2)
    text = http.get("/metrics").body.decode()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert set(families) == set(FAMILIES) - {"sessionator_redis_call_errors"}
    for name, family in families.items():
        kind, labels = FAMILIES[name]
        assert family.type == kind, name
        extra = HISTOGRAM_LABELS if kind == "histogram" else set()
        for sample in family.samples:
            wanted = labels | extra if sample.name.endswith("_bucket") else labels
            assert set(sample.labels) == wanted, sample
    samples = parse(text)
    assert value(samples, "sessionator_validation_failures_total", namespace=CART) == 1
    assert value(samples, "sessionator_document_bytes_count", namespace=CART) == 1
    assert value(samples, "sessionator_document_bytes_count", namespace="other") == 1
    assert value(samples, "sessionator_schema_reloads_total") == 2  # one per worker
    assert value(samples, "sessionator_schema_reload_errors_total") == 2
    assert value(samples, "sessionator_schema_problems") == 1


@pytest.mark.gunicorn
def test_an_exited_worker_leaves_its_counts_and_drops_its_gauges(
    workers: tuple[HttpClient, Path, Path],
) -> None:
    http, _, counts = workers

    def gauge_pids() -> set[int]:
        return {
            int(Path(name).stem.rpartition("_")[2]) for name in glob.glob(f"{counts}/gauge_*.db")
        }

    wait_for(lambda: len(gauge_pids()) == 2)  # each worker set its schema gauge at start
    for number in range(10):
        http.get(f"/v1/sessions/before-{number}")
    gone = min(gauge_pids())
    os.kill(gone, signal.SIGKILL)  # one of the gunicorn workers this test started
    wait_for(lambda: gone not in gauge_pids() and len(gauge_pids()) == 2)  # and replaced
    route = {"method": "GET", "route": "/v1/sessions/<sid>", "status": "200"}
    assert value(scrape_http(http), "sessionator_http_requests_total", **route) == 10
