"""Two evaluators racing on one PostgreSQL database never duplicate an event or a delivery."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from monitor.config import parse_config
from monitor.evaluation import evaluate_alerts
from monitor.runtime import open_runtime
from monitor.store.database import create_db_engine, session_scope
from monitor.store.models import AlertEvent, Delivery
from tests.rules.conftest import NOW, feed_inputs, put_values
from tests.rules.helpers import CONFIG, daily


def test_two_concurrent_evaluators_record_each_transition_once(postgres_url: str) -> None:
    runtime = open_runtime(None, postgres_url)
    config = parse_config(CONFIG, database_url=postgres_url)
    rt = feed_inputs(type(runtime)(config, runtime.engine))
    put_values(rt, "btc_drawdown", daily([-45, -46, -29]))
    as_of = daily([0, 0, 0])[-1][0]
    first_done, reports = threading.Event(), {}

    def first() -> None:
        # Evaluates and holds its transaction open until the second evaluator is blocked.
        with session_scope(rt.engine) as session:
            reports["first"] = evaluate_alerts(session, config, as_of=as_of, now=NOW)
            first_done.set()
            time.sleep(1.0)

    def second() -> None:
        first_done.wait()
        engine = create_db_engine(postgres_url)
        with session_scope(engine) as session:
            # Reads the states before the first commits: it sees nothing evaluated yet.
            reports["second"] = evaluate_alerts(session, config, as_of=as_of, now=NOW)
        engine.dispose()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with session_scope(rt.engine) as session:
        events = session.execute(
            select(AlertEvent.state, func.count()).group_by(AlertEvent.state)
        ).all()
        delivered = session.scalar(select(func.count()).select_from(Delivery))
    runtime.close()
    assert dict(events) == {"pending": 1, "firing": 1, "resolved": 1}
    assert delivered == 2  # firing and resolved, to the one default channel, once
    assert reports["first"].events == 3 and reports["second"].events == 0
    assert reports["second"].deliveries == 0
