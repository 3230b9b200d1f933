"""Drives the RouterOS simulator with two widely used third-party Python API clients.

Usage: routeros_clients.py HOST PORT USER PASSWORD MODE
MODE: librouteros | routeros-api | routeros-api-legacy
Prints one line per step and exits non-zero on the first mismatch.
"""
import sys


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def run_librouteros(host, port, user, password):
    from librouteros import connect
    from librouteros.login import plain
    from librouteros.query import Key

    api = connect(username=user, password=password, host=host, port=port, login_method=plain, timeout=5)
    ident = list(api.path("system", "identity"))
    check(ident == [{"name": "MikroTik"}], "identity print")
    bindings = api.path("ip", "hotspot", "ip-binding")
    new_id = bindings.add(**{"mac-address": "aa:bb:cc:dd:ee:10", "type": "bypassed", "comment": "py"})
    check(isinstance(new_id, str) and new_id.startswith("*"), "add returns the new .id")
    mac = Key("mac-address")
    rows = list(bindings.select(Key(".id"), mac, Key("type")).where(mac == "AA:BB:CC:DD:EE:10"))
    check(rows == [{".id": new_id, "mac-address": "AA:BB:CC:DD:EE:10", "type": "bypassed"}], "select with a where query (?=k=v)")
    either = list(bindings.select(Key(".id")).where(Key("type") == "bypassed", Key("type") == "blocked"))
    check(len(either) == 0 or len(either) == 1, "multi-condition query answered")
    bindings.update(**{".id": new_id, "type": "regular"})
    check(list(bindings.select(Key("type")))[0]["type"] == "regular", "update by .id")
    bindings.remove(new_id)
    check(list(bindings) == [], "remove by .id")
    api.close()


def run_routeros_api(host, port, user, password, plaintext):
    import routeros_api

    pool = routeros_api.RouterOsApiPool(host, username=user, password=password, port=port, plaintext_login=plaintext)
    api = pool.get_api()
    lists = api.get_resource("/ip/firewall/address-list")
    lists.add(list="hs-active", address="10.5.50.77", comment="py")
    rows = lists.get(list="hs-active")
    check(len(rows) == 1 and rows[0]["address"] == "10.5.50.77", "add then get with a query")
    try:
        lists.add(list="hs-active", address="10.5.50.77")
        check(False, "duplicate add must trap")
    except routeros_api.exceptions.RouterOsApiCommunicationError as e:
        check("already have such entry" in str(e), "duplicate add traps with RouterOS's message")
    lists.remove(id=rows[0]["id"])
    check(lists.get() == [], "remove by id")
    pool.disconnect()


if __name__ == "__main__":
    host, port, user, password, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    if mode == "librouteros":
        run_librouteros(host, port, user, password)
    elif mode == "routeros-api":
        run_routeros_api(host, port, user, password, plaintext=True)
    elif mode == "routeros-api-legacy":
        run_routeros_api(host, port, user, password, plaintext=False)
    else:
        sys.exit(f"unknown mode {mode}")
    print("done", flush=True)
