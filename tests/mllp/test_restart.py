"""A listener stopped and restarted while senders keep sending: senders resend what was
not ACKed, and every ACKed message ends up in the database exactly once."""

from __future__ import annotations

import threading
import time

from mllp_peer import FACILITY, ListenerThread, Peer, message, rows_by_source_id, wait_for

from intakeflow.store import Store


class ResendingSender(threading.Thread):
    """Sends its messages in order; a message without an AA (connection refused or cut,
    AR) is sent again on a new connection, as an interface engine does."""

    def __init__(self, name: str, port: int, count: int, deadline: float) -> None:
        super().__init__(name=name)
        self.port, self.count, self.deadline = port, count, deadline
        self.acked: list[str] = []
        self.resends = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        peer: Peer | None = None
        try:
            for i in range(self.count):
                cid = f"{self.name}-{i}"
                while True:
                    if time.monotonic() > self.deadline:
                        raise TimeoutError(f"{cid} never acknowledged")
                    try:
                        peer = peer or Peer(self.port, timeout=10)
                        if peer.send(message(cid, f"note {i} from {self.name}")).code == "AA":
                            self.acked.append(cid)
                            break
                    except OSError:
                        if peer is not None:
                            peer.close()
                        peer = None
                        time.sleep(0.02)
                    self.resends += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            self.error = exc
        finally:
            if peer is not None:
                peer.close()


def test_restart_under_load_keeps_every_acked_message_once(store: Store, pg_dsn: str, store_schema: str) -> None:
    first = ListenerThread(store, grace=10.0).start()
    port = first.port
    senders = [ResendingSender(f"R{n}", port, 100, time.monotonic() + 90) for n in range(4)]
    for s in senders:
        s.start()
    wait_for(lambda: sum(len(s.acked) for s in senders) >= 80, timeout=30)
    first.stop()  # graceful, while all four are sending
    acked_at_stop = sum(len(s.acked) for s in senders)
    time.sleep(0.3)  # senders meet a refused port meanwhile
    second = ListenerThread(store, port=port, grace=10.0).start()
    for s in senders:
        s.join(90)
    second.stop()

    assert [s.error for s in senders] == [None] * 4
    assert acked_at_stop < 400, "the stop did not happen under load"
    assert sum(s.resends for s in senders) >= 1
    assert first.server is not None and first.server.counts["cancelled_at_shutdown"] == 0
    acked = [cid for s in senders for cid in s.acked]
    assert len(acked) == len(set(acked)) == 400
    rows = rows_by_source_id(pg_dsn, store_schema)
    assert rows == {f"{FACILITY}|{cid}": 1 for cid in acked}
