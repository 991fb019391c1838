#!/usr/bin/env python3
"""Drives rkafka's coordinator with the real kazoo client.

Usage: kazoo_checks.py HOST:PORT            run every check, print "OK <name>" per check and
                                            "ALL OK" at the end; exit 1 on the first failure.
       kazoo_checks.py HOST:PORT --hold P   (internal) create ephemeral P, print "ready", sleep
                                            until killed.
"""
import os
import signal
import subprocess
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.exceptions import (BadVersionError, NoAuthError, NodeExistsError, NoNodeError, RolledBackError,
                              RuntimeInconsistency)
from kazoo.security import make_digest_acl

HOSTS = sys.argv[1]
SESSION_TIMEOUT_S = 4.0


def fail(msg):
    print("FAIL " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def ok(name):
    print("OK " + name, flush=True)


def client(timeout=SESSION_TIMEOUT_S):
    zk = KazooClient(hosts=HOSTS, timeout=timeout)
    zk.start(timeout=10)
    return zk


def hold(path):
    zk = client()
    zk.create(path, b"held", ephemeral=True)
    print("ready", flush=True)
    while True:
        time.sleep(1)


def main():
    zk = client()

    zk.ensure_path("/a/b/c")
    check(zk.exists("/a/b/c") is not None, "ensure_path did not create /a/b/c")
    zk.ensure_path("/a/b/c")  # idempotent
    ok("ensure_path")

    zk.create("/a/x", b"v1")
    data, st = zk.get("/a/x")
    check(data == b"v1" and st.version == 0 and st.dataLength == 2, "get after create: %r %r" % (data, st))
    st2 = zk.set("/a/x", b"v2", version=0)
    check(st2.version == 1 and st2.czxid == st.czxid and st2.mzxid > st.mzxid, "set stat %r" % (st2,))
    try:
        zk.set("/a/x", b"v3", version=0)
        fail("stale version accepted by set")
    except BadVersionError:
        pass
    try:
        zk.delete("/a/x", version=0)
        fail("stale version accepted by delete")
    except BadVersionError:
        pass
    try:
        zk.create("/a/x", b"again")
        fail("duplicate create accepted")
    except NodeExistsError:
        pass
    check(zk.get("/a/x")[0] == b"v2", "data changed by a failed set")
    zk.delete("/a/x", version=1)
    check(zk.exists("/a/x") is None, "/a/x still there after delete")
    try:
        zk.get("/a/x")
        fail("get on deleted node succeeded")
    except NoNodeError:
        pass
    ok("crud_versions")

    cv = zk.exists("/a").cversion
    p1 = zk.create("/a/seq-", b"", sequence=True)
    p2 = zk.create("/a/seq-", b"", sequence=True, ephemeral=True)
    check(p1 == "/a/seq-%010d" % cv, "sequential name %s, parent cversion was %d" % (p1, cv))
    check(p2 == "/a/seq-%010d" % (cv + 1), "second sequential name %s" % p2)
    eph = zk.create("/a/eph", b"e", ephemeral=True)
    st = zk.exists(eph)
    check(st.ephemeralOwner == zk.client_id[0], "ephemeralOwner %x != session %x" % (st.ephemeralOwner, zk.client_id[0]))
    check(st.ephemeralOwner != 0 and zk.exists(p2).ephemeralOwner == zk.client_id[0], "sequential ephemeral owner")
    ok("sequential_ephemeral")

    got = {}
    evs = {k: threading.Event() for k in ("child", "data", "exists", "deleted")}

    def watcher(kind):
        def w(event):
            got[kind] = event
            evs[kind].set()
        return w

    zk.create("/a/w", b"0")
    zk.get_children("/a/w", watch=watcher("child"))
    zk.get("/a/w", watch=watcher("data"))
    zk.exists("/a/w/missing", watch=watcher("exists"))
    zk.create("/a/w/missing", b"")
    check(evs["exists"].wait(5) and got["exists"].type == "CREATED" and got["exists"].path == "/a/w/missing",
          "exists watch: %r" % (got.get("exists"),))
    check(evs["child"].wait(5) and got["child"].type == "CHILD" and got["child"].path == "/a/w",
          "child watch: %r" % (got.get("child"),))
    zk.set("/a/w", b"1")
    check(evs["data"].wait(5) and got["data"].type == "CHANGED", "data watch: %r" % (got.get("data"),))
    zk.get("/a/w/missing", watch=watcher("deleted"))
    zk.delete("/a/w/missing")
    check(evs["deleted"].wait(5) and got["deleted"].type == "DELETED", "delete watch: %r" % (got.get("deleted"),))
    # One-shot: a second change does not fire the consumed data watch again.
    evs["data"].clear()
    zk.set("/a/w", b"2")
    check(not evs["data"].wait(0.5), "one-shot data watch fired twice")
    ok("watches")

    zk.create("/a/t", b"")
    t = zk.transaction()
    t.create("/a/t/one", b"1")
    t.set_data("/a/t", b"parent", version=0)
    t.check("/a/t", 1)
    t.delete("/a/t/one")
    t.create("/a/t/two", b"2")
    res = t.commit()
    check(res[0] == "/a/t/one" and res[1].version == 1 and res[2] is True and res[3] is True
          and res[4] == "/a/t/two", "successful transaction results %r" % (res,))
    check(zk.exists("/a/t/one") is None and zk.get("/a/t/two")[0] == b"2", "transaction effects")
    before = zk.exists("/a/t")
    t = zk.transaction()
    t.create("/a/t/three", b"3")
    t.set_data("/a/t", b"changed")
    t.delete("/nonexistent")
    t.create("/a/t/four", b"4")
    res = t.commit()
    # ZooKeeper's layout: 0 (RolledBack) before the failing op, its code, -2 after it.
    check(isinstance(res[0], RolledBackError) and isinstance(res[1], RolledBackError)
          and isinstance(res[2], NoNodeError) and isinstance(res[3], RuntimeInconsistency),
          "failed transaction results %r" % (res,))
    after = zk.exists("/a/t")
    check(zk.exists("/a/t/three") is None and zk.exists("/a/t/four") is None, "failed transaction applied a create")
    check(after == before and zk.get("/a/t")[0] == b"parent", "failed transaction changed /a/t")
    ok("transactions")

    zk2 = client()
    zk2.create("/a/closing", b"", ephemeral=True)
    check(zk.exists("/a/closing") is not None, "second session's ephemeral not visible")
    gone = threading.Event()
    zk.exists("/a/closing", watch=lambda e: gone.set() if e.type == "DELETED" else None)
    zk2.stop()
    zk2.close()
    check(zk.exists("/a/closing") is None, "ephemeral survived closeSession")
    check(gone.wait(5), "no DELETED event for the closed session's ephemeral")
    ok("ephemeral_close")

    za = KazooClient(hosts=HOSTS, timeout=SESSION_TIMEOUT_S, auth_data=[("digest", "alice:secret")])
    za.start(timeout=10)
    za.create("/a/secret", b"s", acl=[make_digest_acl("alice", "secret", all=True)])
    check(za.get("/a/secret")[0] == b"s", "digest-authenticated read")
    try:
        zk.get("/a/secret")
        fail("unauthenticated read of a digest-protected node")
    except NoAuthError:
        pass
    za.stop()
    za.close()
    ok("digest_acl")

    child = subprocess.Popen([sys.executable, __file__, HOSTS, "--hold", "/a/killed"],
                             stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline().strip()
    check(line == "ready", "holder process said %r" % line)
    check(zk.exists("/a/killed") is not None, "holder's ephemeral missing")
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    killed_at = time.monotonic()
    time.sleep(0.3)
    check(zk.exists("/a/killed") is not None, "ephemeral vanished before the session timed out")
    deadline = killed_at + SESSION_TIMEOUT_S + 3.0
    while zk.exists("/a/killed") is not None:
        if time.monotonic() > deadline:
            fail("ephemeral of a SIGKILLed client still there %.1fs after the kill" % (time.monotonic() - killed_at))
        time.sleep(0.1)
    ok("ephemeral_expiry %.1fs" % (time.monotonic() - killed_at))

    # kazoo's recipes: a lock (sequential ephemerals + watches on the predecessor), a counter
    # (versioned setData retries), watch helpers.
    order = []
    lock_a = zk.Lock("/a/lock", "A")
    zk3 = client()
    lock_b = zk3.Lock("/a/lock", "B")
    check(lock_a.acquire(timeout=5), "lock A")
    got_b = threading.Event()

    def take_b():
        if lock_b.acquire(timeout=10):
            order.append("B")
            got_b.set()
            lock_b.release()

    th = threading.Thread(target=take_b)
    th.start()
    time.sleep(0.3)
    check(not got_b.is_set(), "lock B acquired while A holds it")
    check(sorted(lock_a.contenders()) == ["A", "B"], "contenders %r" % (lock_a.contenders(),))
    order.append("A")
    lock_a.release()
    check(got_b.wait(5), "lock B never acquired after A released")
    th.join()
    check(order == ["A", "B"], "lock order %r" % order)
    counter = zk.Counter("/a/counter")
    counter2 = zk3.Counter("/a/counter")
    for _ in range(5):
        counter += 1
        counter2 += 2
    check(counter.value == 15, "counter %r" % counter.value)
    seen = []
    changed = threading.Event()

    @zk.ChildrenWatch("/a/w")
    def kids(children):
        seen.append(sorted(children))
        if "k2" in children:
            changed.set()

    zk3.create("/a/w/k1")
    zk3.create("/a/w/k2")
    check(changed.wait(5), "ChildrenWatch saw %r" % seen)
    zk3.stop()
    zk3.close()
    ok("recipes")

    check(zk.command(b"ruok") == "imok", "ruok")
    srvr = zk.command(b"srvr")
    check("Mode: standalone" in srvr and "Zxid: 0x" in srvr, "srvr output %r" % srvr)
    check(zk.server_version()[:2] >= (3, 5), "server_version %r" % (zk.server_version(),))
    ok("four_letter_words")

    zk.stop()
    zk.close()
    print("ALL OK", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--hold":
        hold(sys.argv[3])
    else:
        main()
