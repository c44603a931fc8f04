"""PaymentCompleted events are relayed from the outbox by every instance, yet each is consumed
once: one processed-event row per event for the webhook consumer, one webhook notification per
payment, and one freed queue slot per payer (the slot consumer leaves the place the payment was
made from, which is safe to repeat, so it keeps no row: ADR 0019)."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from conftest import Cluster, WebhookReceiver, admitted_users, data_of, expect_error, key, wait_until

# The consumers of PaymentCompleted that record what they handled (src/application/
# consumers.hpp); the webhook one runs because the cluster is started with BOXOFFICE_WEBHOOK_URL.
# FreeQueueSlot records nothing for events that carry the payer's queue generation.
RECORDING_CONSUMERS = {"notify-webhook"}
DRAIN_TIMEOUT_S = 60.0


def test_each_payment_completed_is_consumed_once_though_every_instance_relays(
    cluster: Cluster, webhook: WebhookReceiver
) -> None:
    apis = cluster.instances
    buyers_count = 30
    concert = cluster.api.make_concert(seat_count=buyers_count + 5, price=10_000)  # not sold out
    buyers = admitted_users(cluster, concert, buyers_count, balance=10_000)
    seats = cluster.api.seat_ids(buyers[0], concert.event)

    marker = cluster.scalar("SELECT COALESCE(MAX(id), 0) FROM outbox")

    def buy(i: int) -> dict:
        api = apis[i % 3]
        _, reservation = apis[(i + 1) % 3].book(buyers[i], concert.event, [seats[i]])
        return data_of(api.pay(buyers[i], reservation["id"], key=key()), 201)

    with ThreadPoolExecutor(12) as pool:
        payments = list(pool.map(buy, range(buyers_count)))
    payment_ids = {p["id"] for p in payments}
    assert len(payment_ids) == buyers_count

    # One outbox row per payment, found by the payment id in its payload.
    rows = cluster.query(
        "SELECT id, payload FROM outbox WHERE event_type = 'PaymentCompleted' AND id > %s", (marker,)
    )
    event_of = {}
    for event_id, payload in rows:
        pid = json.loads(payload)["paymentId"]
        if pid in payment_ids:
            assert pid not in event_of, f"two outbox rows for payment {pid}"
            event_of[pid] = event_id
    assert set(event_of) == payment_ids
    events = tuple(event_of.values())

    def drained():
        unpublished = cluster.scalar(
            "SELECT COUNT(*) FROM outbox WHERE id IN %s AND (published_at IS NULL OR dead <> 0)", (events,)
        )
        consumed = cluster.scalar(
            "SELECT COUNT(DISTINCT consumer, event_id) FROM processed_event WHERE event_id IN %s", (events,)
        )
        delivered = webhook.deliveries(payment_ids)
        slots_freed = cluster.queue_stats(concert)["active"] == 0
        return (
            unpublished == 0
            and consumed >= len(RECORDING_CONSUMERS) * len(events)
            and min(delivered.values()) >= 1
            and slots_freed
        )

    wait_until(drained, DRAIN_TIMEOUT_S, "the outbox drained and every event consumed", interval=0.2)

    processed = cluster.query(
        "SELECT CAST(consumer AS CHAR), event_id, COUNT(*) FROM processed_event WHERE event_id IN %s "
        "GROUP BY consumer, event_id",
        (events,),
    )
    per_consumer = Counter(consumer for consumer, _, _ in processed)
    assert per_consumer == {c: buyers_count for c in RECORDING_CONSUMERS}, per_consumer
    assert {n for _, _, n in processed} == {1}

    delivered = webhook.deliveries(payment_ids)
    assert set(delivered.values()) == {1}, {pid: n for pid, n in delivered.items() if n != 1}

    # Each payer's slot was freed: out of the line, nobody admitted any more.
    for i, buyer in enumerate(buyers):
        expect_error(apis[i % 3].status(buyer), 404, "queue_token_not_found")
    stats = cluster.queue_stats(concert)
    assert (stats["active"], stats["waiting"], stats["admittedTotal"]) == (0, 0, buyers_count)

    # Freed once: a payer who queues again keeps the new place (a second consumption of the old
    # event would evict it).
    again = buyers[0]
    apis[1].join(again, concert)
    wait_until(lambda: data_of(apis[2].status(again))["status"] == "ACTIVE", 30, "the payer admitted again")
    assert cluster.queue_stats(concert)["active"] == 1
