"""The existing Nuxt frontend against our backend, in headless Chromium (Debian's, driven by
playwright; no browser is downloaded). Run by tests/deploy/browser.rs, which starts the backend on
the simulators, seeds it and serves the frontend; this script gets the addresses in its
environment: PORTAL (the frontend), OUTBOX (the WhatsApp simulator), SHOTS (where screenshots of a
failing step go), ADMIN_PHONE and ADMIN_PASSWORD (a super admin's), and the simulated Telegram bot:
TELEGRAM_SIM (its Bot API), TELEGRAM_BOT (its name), TELEGRAM_HOOK and TELEGRAM_SECRET (our
webhook, where Telegram posts a chat's /start), and MIDTRANS_SIM (the simulated Midtrans, whose
control API pays an order). Each scenario prints one line; any failure exits non-zero.

Besides the flows (captive, login, waiting, register, admin, buy, admin billing), every page is
visited: each page under /admin as the super admin, the komandan's pages and the user's pages, with
no failing /api call (ApiWatch), and each page's main action in its own scenario: a promo created,
the komandan's quota request filed and approved, a notification recipient toggled and saved, a
WhatsApp test message sent, the action logs loaded and exported as CSV, the app's name saved in
the settings, a package's price edited, a WhatsApp broadcast queued, a blocked account's sign-in
refused with its status (and its policy page opened with the status token), a Telegram chat
linked from /akun, a package lent on credit to the buyer shown as an open debt on /riwayat (and
the purchase's invoice a PDF), that debt settled in cash from the admin's debt ledger (its receipt
a PDF, the row then paid), the shop on Midtrans's Core API (then back on Snap) for a QRIS purchase
from /beli (its QR a PNG, paid through the simulated Midtrans, shown paid, and shown signed out
through the status link without the account; a BNI VA too once the public settings tell the page
the mode) and for an admin's bill from /admin/users reaching the user's WhatsApp (delivered by the
worker browser.rs runs beside the server), and last (it replaces the database) a backup made and
restored from."""

import asyncio
import contextlib
import csv
import io
import json
import os
import re
import sys
import urllib.parse
import urllib.request

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

PORTAL = os.environ["PORTAL"]
OUTBOX = os.environ["OUTBOX"]
SHOTS = os.environ.get("SHOTS", "/tmp")
ADMIN_PHONE = os.environ.get("ADMIN_PHONE", "081200000001")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "")
TELEGRAM_SIM = os.environ.get("TELEGRAM_SIM", "")
TELEGRAM_BOT = os.environ.get("TELEGRAM_BOT", "")
TELEGRAM_HOOK = os.environ.get("TELEGRAM_HOOK", "")
TELEGRAM_SECRET = os.environ.get("TELEGRAM_SECRET", "")
MIDTRANS_SIM = os.environ.get("MIDTRANS_SIM", "")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def last_code(phone):
    with urllib.request.urlopen(f"{OUTBOX}/_sim/last-code?to={phone}") as r:
        return json.load(r)["code"]


def outbox(phone):
    """The WhatsApp simulator's messages to a number, newest first."""
    with urllib.request.urlopen(f"{OUTBOX}/_sim/outbox?to={phone}") as r:
        return json.load(r)


def api_path(url):
    u = urllib.parse.urlsplit(url)
    return u.path + (f"?{u.query}" if u.query else "")


def said(text):
    """What a failing answer says: its message (or error/code), short."""
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            text = " / ".join(str(body[k]) for k in ("code", "message", "error") if body.get(k)) or text
    except Exception:
        pass
    text = " ".join(str(text).split())
    return text[:160] + ("…" if len(text) > 160 else "")


class ApiWatch:
    """Every call to /api/ the browser makes that answers >= 400 (or fails outright), filed under
    the page visit or step in progress (`where`), with the answer's message. Calls the Nuxt
    server makes itself during a full page load (SSR: /api/auth/me, /api/settings/public and
    server-side useAsyncData) never reach the browser, so pages are reached by client-side
    navigation (`go`), which makes every call of the page from the browser.

    Expected by design, and only these, are ignored:
    - 401 of GET /api/auth/me before the scenario has signed in: a guest's page asks who is
      signed in and "nobody" is that answer; after sign-in a 401 there is a real failure.
    - a request aborted (net::ERR_ABORTED) because the page navigated away while it was in
      flight; it never got an answer to judge.
    - what one scenario expects by design and names with `allow` (method, path, status), e.g.
      the 403 of POST /api/auth/verify-otp for a blocked account; nothing else."""

    def __init__(self, page):
        self.page = page
        WATCHES[id(page)] = self
        self.reported = False
        self.where = "sign-in"
        self.signed_in = False
        self.failures = []  # [where, method, path, status, message]
        self.problems = []  # (where, what): a page not reached, an action that did not happen
        self.errors = []  # (where, uncaught page error), for the report only
        self.pending = []
        self.inflight = set()  # the /api/ requests not answered yet
        self.calls = 0  # every /api/ request seen
        self.pages = []  # the pages visited, each reached by client-side navigation or not
        self.allowed = set()  # (method, path, status) this scenario expects (allow)
        page.on("request", self._request)
        page.on("requestfinished", lambda r: self.inflight.discard(r))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)
        page.on("pageerror", lambda e: self.errors.append((self.where, str(e).splitlines()[0][:160])))

    def allow(self, method, path, status):
        """An answer this scenario expects (the path without its query): not a failure."""
        self.allowed.add((method, path, status))

    def _expected(self, method, path, status):
        if (method, path.split("?")[0], status) in self.allowed:
            return True
        return not self.signed_in and method == "GET" and path.split("?")[0] == "/api/auth/me" and status == 401

    def _response(self, response):
        if "/api/" not in response.url or response.status < 400:
            return
        method, path = response.request.method, api_path(response.url)
        if self._expected(method, path, response.status):
            return
        entry = [self.where, method, path, response.status, ""]
        self.failures.append(entry)

        async def body():
            try:
                entry[4] = said(await response.text())
            except Exception:
                pass
        self.pending.append(asyncio.ensure_future(body()))

    def _request(self, request):
        if "/api/" in request.url:
            self.inflight.add(request)
            self.calls += 1

    def summary(self):
        routed = sum(1 for _, r in self.pages if r)
        return f"{len(self.pages)} pages ({routed} by client-side navigation), {self.calls} /api calls seen"

    async def idle(self, quiet_ms=800, timeout_ms=15000):
        """Waits until no /api/ call has been in flight for quiet_ms (a client-side navigation
        has no load state to wait for)."""
        quiet = waited = 0
        while quiet < quiet_ms and waited < timeout_ms:
            await self.page.wait_for_timeout(100)
            waited += 100
            quiet = 0 if self.inflight else quiet + 100

    def _failed(self, request):
        self.inflight.discard(request)
        failure = request.failure or ""
        if "/api/" not in request.url or "ERR_ABORTED" in failure:
            return
        self.failures.append([self.where, request.method, api_path(request.url), "no answer", failure])

    def problem(self, what):
        self.problems.append((self.where, what))

    async def lines(self):
        """Every problem and failing call, in order, each with its page; uncaught page errors
        after them (a hint, not a failure by themselves)."""
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        lines = [f"{w}: {what}" for w, what in self.problems]
        lines += [f"{w} → {m} {p} {st}" + (f" ({msg})" if msg else "") for w, m, p, st, msg in self.failures]
        if lines:
            lines += sorted(set(f"{w}: page error: {e}" for w, e in self.errors))[:5]
        return lines

    async def check(self):
        """Raises with every failing call and problem, grouped by page, if there is any."""
        lines = await self.lines()
        if lines:
            self.reported = True
            raise AssertionError("\n    " + "\n    ".join(lines))


WATCHES = {}  # id(page) → its ApiWatch, for scenario() to report what it saw when a step fails


async def go(page, watch, path, expect=None):
    """Client-side navigation to a page (as the menu does), then the page settled: every call
    it makes is the browser's. `expect`: the path the frontend is meant to land on, if not
    `path` (its role rules send a komandan from /beli to /requests)."""
    watch.where = path
    routed = await page.evaluate("""path => {
        const app = document.querySelector('#__nuxt')?.__vue_app__
        const router = app?.config?.globalProperties?.$router
        if (!router) return false
        router.push(path)
        return true
    }""", path)
    watch.pages.append((path, routed))
    if not routed:
        await page.goto(f"{PORTAL}{path}")
    target = expect or path
    try:
        await page.wait_for_url(lambda u: urllib.parse.urlsplit(u).path.rstrip("/") == target, timeout=15000)
    except Exception:
        pass
    await watch.idle()
    await page.wait_for_timeout(1000)  # calls started by a first timer
    await watch.idle()
    landed = urllib.parse.urlsplit(page.url).path.rstrip("/")
    if landed != target:
        watch.problem(f"landed on {landed or '/'} instead of {target}")
    for text in ("Akses Ditolak",):
        if await page.locator(f"text={text}").count():
            watch.problem(f"the page says '{text}'")


async def answer(page, watch, method, part, action, timeout_ms=20000):
    """Does `action` and waits for its call (method, URL containing `part`); returns the
    answer's status and text, and fails with them if it is >= 400."""
    async with page.expect_response(
            lambda r: part in r.url and r.request.method == method, timeout=timeout_ms) as info:
        await action()
    r = await info.value
    text = await r.text()
    if r.status >= 400:
        raise AssertionError(f"{method} {api_path(r.url)} answered {r.status} ({said(text)})")
    return r.status, text


async def choose(page, scope, label, option):
    """An AppSelect (its label above a VSelect): opens it and picks the option."""
    box = scope.locator(".app-select").filter(has=page.locator("label", has_text=label)).first
    await box.locator(".v-field").click()
    item = page.locator(".v-overlay--active .v-list-item").filter(has_text=option).last
    await item.click()
    await page.wait_for_timeout(300)


async def fill(page, selector, value):
    """Fills an input once the page is hydrated (a busy machine renders late and a value typed
    too early is wiped); checks it stayed."""
    await page.wait_for_load_state("networkidle")
    box = page.locator(selector).last
    for _ in range(10):
        await box.fill(value)
        await page.wait_for_timeout(300)
        if await box.input_value() == value:
            return
    raise AssertionError(f"{selector} does not keep its value")


async def wait_url(page, part, timeout_ms=20000):
    await page.wait_for_url(f"**{part}**", timeout=timeout_ms)


async def scenario(browser, name, steps):
    context = await browser.new_context()
    page = await context.new_page()
    step = "start"
    try:
        async def mark(s):
            nonlocal step
            step = s
        summary = await steps(page, mark)
        print(f"ok   {name}" + (f" ({summary})" if summary else ""))
        return True
    except Exception as e:  # report, keep the picture, go on with the others
        shot = os.path.join(SHOTS, f"{name}-{step}.png".replace(" ", "_").replace("/", "_"))
        try:
            await page.screenshot(path=shot, full_page=True)
        except Exception:
            shot = "(no screenshot)"
        seen = ""
        watch = WATCHES.get(id(page))
        if watch and not watch.reported:  # the failing calls it saw before the step failed
            lines = await watch.lines()
            seen = "".join(f"\n    {line}" for line in lines)
        print(f"FAIL {name} at {step}: {e} (url {page.url}; screenshot {shot}){seen}")
        return False
    finally:
        WATCHES.pop(id(page), None)
        await context.close()


async def captive_code(page, mark, phone, ip, mac):
    """The captive page as the router's redirect opens it: the phone, its code, verify."""
    await mark("captive page")
    await page.goto(f"{PORTAL}/captive?client_ip={ip}&client_mac={mac}&link_login_only=http://10.5.50.1/login")
    await fill(page, "#phone", phone)
    await mark("request code")
    await page.click("button:has-text('Kirim OTP')")
    await page.wait_for_selector("#otp", timeout=15000)
    await fill(page, "#otp", last_code(phone))
    await mark("verify")
    await page.click("button:has-text('Verifikasi')")


async def captive_to_dashboard(page, mark):
    """The router's redirect → code → verify → connected page → dashboard with name and quota."""
    await captive_code(page, mark, "081234567001", "10.5.50.11", "02:DE:00:00:00:01")
    await mark("connected page")
    await wait_url(page, "/captive/terhubung")
    await mark("dashboard")
    await wait_url(page, "/dashboard", 30000)
    await page.wait_for_selector("text=Kuota tersisa", timeout=15000)
    body = await page.inner_text("body")
    assert "10 GB" in body, "the dashboard does not show the 10 GB quota"
    assert "081234567001" in body, "the dashboard does not show the user's number"
    await mark("name")
    await page.click("text=BU")
    await page.wait_for_selector("text=Budi Aktif", timeout=10000)


async def login_off_hotspot(page, mark):
    """/login without client hints → the session link → dashboard, where the quota card and the
    week's usage show what the sync charged (1 GB of 5)."""
    await login_as(page, mark, "081234567002", "4 GB")
    await mark("usage")
    await page.wait_for_selector("text=Terpakai (7 hari)", timeout=15000)
    body = await page.inner_text("body")
    assert "1 GB" in body, "the dashboard does not show the week's 1 GB"


async def login_code(page, mark, phone):
    """/login: the number, its code requested, then typed (the page verifies by itself once six
    digits are in)."""
    await mark("login page")
    await page.goto(f"{PORTAL}/login")
    await fill(page, "input[placeholder='Contoh: 081234567890']", phone)
    await mark("request code")
    await page.click("button:has-text('Kirim Kode OTP')")
    await page.wait_for_selector("input[autocomplete='one-time-code'], input[inputmode='numeric']", timeout=15000)
    code = last_code(phone)
    await mark("type the code")
    boxes = await page.query_selector_all("input[inputmode='numeric'], input[autocomplete='one-time-code']")
    if len(boxes) >= 6:
        for box, digit in zip(boxes, code):
            await box.fill(digit)
    else:
        await boxes[0].fill(code)


async def login_as(page, mark, phone, quota_text):
    await login_code(page, mark, phone)
    await mark("verify")
    # The page verifies by itself once six digits are in; off the hotspot it then offers to
    # "activate the internet" (there is no device to bind) or to go on to the portal.
    await page.wait_for_url(lambda u: "/login/hotspot-required" in u or "/dashboard" in u, timeout=20000)
    if "/hotspot-required" in page.url:
        await mark("on to the portal")
        await page.click("text=Lanjut Ke Portal")
    await mark("dashboard")
    await wait_url(page, "/dashboard", 30000)
    await page.wait_for_selector("text=Kuota tersisa", timeout=15000)
    assert quota_text in await page.inner_text("body"), f"the dashboard does not show the {quota_text} quota"


async def buy_package(page, mark):
    """/beli: a package bought through the (simulated) Midtrans Snap, the payment status page,
    then the purchase in /riwayat."""
    await login_as(page, mark, "081234567005", "1 GB")
    await mark("shop")
    await page.goto(f"{PORTAL}/beli")
    await page.wait_for_load_state("networkidle")
    await page.wait_for_selector("text=Mingguan 5 GB", timeout=15000)
    await mark("buy")
    await page.locator("button:has-text('Beli Sekarang')").first.click()
    await mark("snap")
    await page.wait_for_selector("#sim-snap-pay", timeout=15000)
    await page.click("#sim-snap-pay")
    await mark("status page")
    await wait_url(page, "/payment/status", 20000)
    await page.wait_for_selector("text=Pembayaran Berhasil", timeout=20000)
    await mark("history")
    await page.goto(f"{PORTAL}/riwayat")
    await page.wait_for_load_state("networkidle")
    await page.wait_for_selector("text=Mingguan 5 GB", timeout=15000)


async def admin_billing_pages(page, mark):
    """The admin's packages and transactions pages list what was sold."""
    await admin_login(page, mark, PORTAL)
    await mark("packages page")
    await page.goto(f"{PORTAL}/admin/packages")
    await page.wait_for_selector("text=Mingguan 5 GB", timeout=15000)
    await mark("transactions page")
    await page.goto(f"{PORTAL}/admin/transactions")
    await page.wait_for_selector("text=Pembeli Browser", timeout=15000)


async def waiting_user(page, mark):
    """A registration waiting for approval ends on the frontend's pending policy page."""
    await captive_code(page, mark, "081234567004", "10.5.50.14", "02:DE:00:00:00:04")
    await mark("policy page")
    await wait_url(page, "/policy/inactive")


async def register_tab(page, mark):
    """The register tab checks the number (validate-whatsapp) and registers."""
    await mark("register tab")
    await page.goto(f"{PORTAL}/login")
    await page.wait_for_load_state("networkidle")
    await page.click("button:has-text('Daftar')")
    # A click before the tab's form has hydrated is undone by Vue (CI once saw "clicking the
    # checkbox did not change its state"): the radio is checked again until it stays checked.
    radio = page.locator("input[type=radio][value='KOMANDAN'], #input-v-0-13").first
    for attempt in range(3):
        try:
            await radio.check(force=True, timeout=5000)
            break
        except Exception:
            if attempt == 2:
                raise
            await page.wait_for_timeout(700)
    await fill(page, "input[placeholder='Contoh: Sobigidul']", "Dewi Lestari")
    phone = page.locator("input[placeholder='Contoh: 081234567890']").last
    await mark("taken number")
    await phone.fill("081234567001")
    await page.wait_for_selector("text=Nomor sudah terdaftar", timeout=10000)
    await mark("free number")
    await phone.fill("081277770001")
    await page.wait_for_timeout(1500)
    await mark("submit")
    await page.click("button:has-text('Daftar Akun')")
    await page.wait_for_selector("text=/berhasil|diterima|persetujuan/i", timeout=15000)


async def admin_login(page, mark, portal):
    """The admin login page to the dashboard."""
    await mark("admin login")
    await page.goto(f"{portal}/admin")
    await page.wait_for_load_state("networkidle")
    await page.fill("input[placeholder='0811xxxx']", ADMIN_PHONE)
    await page.fill("input[type=password]", ADMIN_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/admin/dashboard**", timeout=20000)


async def admin_flow(page, mark, portal=None, name="Tono Menunggu"):
    """The operator's day: admin login, the waiting registration found and approved, quota and
    days added in the editor, then a block with its reason."""
    portal = portal or PORTAL
    await admin_login(page, mark, portal)
    await mark("find the waiting user")
    await page.goto(f"{portal}/admin/users")
    await page.wait_for_load_state("networkidle")
    await page.fill("input[placeholder='Cari nama atau nomor HP']", name.split()[0])
    row = page.locator(f"tr:has-text('{name}')")
    await row.wait_for(timeout=15000)
    await mark("approve")
    await row.locator("button:has(i.tabler-check)").click()
    # The confirmation opens with a transition; a click during it can fall through, so the
    # click is repeated while the dialog stays open (approving twice is refused server-side).
    confirm = page.locator(".confirm-dialog__actionBtn").last
    await confirm.wait_for(state="visible", timeout=10000)
    for _ in range(5):
        await confirm.click()
        try:
            await row.locator("text=Disetujui").wait_for(timeout=3000)
            break
        except Exception:
            if not await confirm.is_visible():
                break
    await row.locator("text=Disetujui").wait_for(timeout=15000)
    await mark("add quota")
    await row.locator("button:has(i.tabler-pencil)").click()
    dialog = page.locator(".v-dialog").last
    await dialog.locator("text=Akses & Kuota").click()
    await dialog.get_by_label("Tambah Kuota (GB)").fill("2")
    await dialog.get_by_label("Tambah Masa Aktif (Hari)").fill("30")
    await dialog.locator("button:has-text('Simpan Perubahan')").click()
    await dialog.wait_for(state="hidden", timeout=15000)
    await mark("block")
    await row.locator("button:has(i.tabler-pencil)").click()
    dialog = page.locator(".v-dialog").last
    await dialog.locator("text=Akses & Kuota").click()
    await dialog.get_by_label("Blokir Akun").check()
    await dialog.get_by_label("Alasan Blokir").fill("Pelanggaran aturan")
    await dialog.locator("button:has-text('Simpan Perubahan')").click()
    await dialog.wait_for(state="hidden", timeout=15000)
    await row.locator("text=Blokir").wait_for(timeout=15000)


# Every page under frontend/pages/admin but index (the login form, or a redirect to the
# dashboard), login and test (a developer's scratch page).
ADMIN_PAGES = ["/admin/dashboard", "/admin/users", "/admin/packages", "/admin/transactions", "/admin/promos",
               "/admin/requests", "/admin/operations", "/admin/logs", "/admin/backup", "/admin/mikrotik",
               "/admin/whatsapp", "/admin/settings/general", "/admin/settings/notifications"]
KOMANDAN = ("081234567007", "Komandan Bayu")  # seeded by browser.rs: a komandan with 5 GB
PAGES_USER = "081234567006"  # seeded by browser.rs: a user with 3 GB
BLOCKED = "081234567008"  # seeded by browser.rs: a blocked user
TELEGRAM_USER = "081234567009"  # seeded by browser.rs: a user with 2 GB, who links Telegram


async def signed_in_admin(page, mark):
    watch = ApiWatch(page)
    await admin_login(page, mark, PORTAL)
    watch.signed_in = True
    return watch


async def admin_pages(page, mark):
    """Every page under /admin as the super admin: each reached and settled with no failing
    /api call; all failures are reported together."""
    watch = await signed_in_admin(page, mark)
    for path in ADMIN_PAGES:
        await mark(path)
        await go(page, watch, path)
    await mark("report")
    await watch.check()
    return watch.summary()


async def komandan_pages(page, mark):
    """The komandan's pages (/beli and /riwayat are the users'; the frontend sends a komandan
    to /requests instead), then a quota request filed from /requests and listed there as
    waiting."""
    watch = ApiWatch(page)
    await login_as(page, mark, KOMANDAN[0], "5 GB")
    watch.signed_in = True
    for path, expect in [("/dashboard", None), ("/requests", None), ("/akun", None),
                         ("/riwayat", "/requests"), ("/beli", "/requests")]:
        await mark(path)
        await go(page, watch, path, expect)
    await mark("request form")
    await go(page, watch, "/requests")
    watch.where = "/requests: file a request"
    await page.click("button:has-text('Buat Permintaan Baru')")
    dialog = page.locator(".v-dialog:has-text('Formulir Pengajuan')").last
    await dialog.wait_for(state="visible", timeout=10000)
    await mark("choose quota")
    await choose(page, dialog, "Jumlah Kuota", "10 GB")
    await choose(page, dialog, "Masa Aktif", "30 Hari")
    await mark("send request")
    await answer(page, watch, "POST", "/api/komandan/requests",
                 lambda: dialog.locator("button:has-text('Kirim Permintaan')").click())
    await dialog.wait_for(state="hidden", timeout=10000)
    await mark("listed")
    row = page.locator("tbody tr").filter(has_text="10 GB / 30 hari")
    await row.filter(has_text="Menunggu").first.wait_for(timeout=15000)
    await mark("report")
    await watch.check()
    return watch.summary()


async def user_pages(page, mark):
    """The user's pages, each with no failing /api call."""
    watch = ApiWatch(page)
    await login_as(page, mark, PAGES_USER, "3 GB")
    watch.signed_in = True
    for path in ["/dashboard", "/akun", "/riwayat", "/beli"]:
        await mark(path)
        await go(page, watch, path)
    await mark("report")
    await watch.check()
    return watch.summary()


async def admin_promo(page, mark):
    """/admin/promos: a promo created (a draft announcement) is listed."""
    watch = await signed_in_admin(page, mark)
    await mark("promos page")
    await go(page, watch, "/admin/promos")
    watch.where = "/admin/promos: create"
    await page.click("button:has-text('Tambah Event')")
    dialog = page.locator(".v-dialog:has-text('Tambah Event Baru')").last
    await dialog.wait_for(state="visible", timeout=10000)
    await mark("fill")
    await dialog.get_by_label("Nama Event").fill("Promo Browser")
    await dialog.get_by_label("Deskripsi Singkat").fill("Dibuat oleh uji peramban")
    await mark("save")
    await answer(page, watch, "POST", "/api/admin/promos",
                 lambda: dialog.locator("button:has-text('Simpan')").click())
    await mark("listed")
    await page.locator("tbody tr").filter(has_text="Promo Browser").first.wait_for(timeout=15000)
    await watch.check()


async def admin_request(page, mark):
    """/admin/requests: the komandan's waiting request (filed by the komandan scenario) approved
    in full; it leaves the waiting list."""
    watch = await signed_in_admin(page, mark)
    await mark("requests page")
    await go(page, watch, "/admin/requests")
    watch.where = "/admin/requests: approve"
    row = page.locator("tbody tr").filter(has_text=KOMANDAN[1])
    try:
        await row.first.wait_for(timeout=15000)
    except Exception:
        raise AssertionError(f"no waiting request from {KOMANDAN[1]} (the komandan scenario files it)")
    await mark("process")
    await row.first.locator("button:has-text('Proses')").click()
    dialog = page.locator(".v-dialog:has-text('Proses Permintaan')").last
    await dialog.wait_for(state="visible", timeout=10000)
    await mark("approve")
    await answer(page, watch, "POST", "/process", lambda: dialog.locator("button:has-text('Kirim Proses')").click())
    await dialog.wait_for(state="hidden", timeout=10000)
    await mark("gone from the waiting list")
    await row.first.wait_for(state="detached", timeout=15000)
    await watch.check()


async def admin_notifications(page, mark):
    """/admin/settings/notifications: the first recipient's switch toggled and saved; after a
    reload the page shows the new state."""
    watch = await signed_in_admin(page, mark)
    await mark("notifications page")
    await go(page, watch, "/admin/settings/notifications")
    watch.where = "/admin/settings/notifications: toggle and save"
    item = page.locator(".recipient-list__item").first
    await item.wait_for(timeout=15000)
    switch = item.locator("input[type=checkbox]")
    before = await switch.is_checked()
    await mark("toggle")
    await switch.click(force=True)
    await page.wait_for_timeout(300)
    assert await switch.is_checked() != before, "the switch does not toggle"
    await mark("save")
    await answer(page, watch, "POST", "/api/admin/notification-recipients",
                 lambda: page.click("button:has-text('Simpan Perubahan')"))
    await mark("reload")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    item = page.locator(".recipient-list__item").first
    await item.wait_for(timeout=15000)
    assert await item.locator("input[type=checkbox]").is_checked() != before, "the saved choice is not kept"
    await watch.check()


async def admin_whatsapp(page, mark):
    """/admin/whatsapp: a test message sent reaches the (simulated) gateway."""
    watch = await signed_in_admin(page, mark)
    await mark("whatsapp page")
    await go(page, watch, "/admin/whatsapp")
    watch.where = "/admin/whatsapp: test send"
    await fill(page, "input[placeholder='08xxxxxxxxxx / 62xxxxxxxxxx']", "081277770099")
    await mark("send")
    await answer(page, watch, "POST", "/api/admin/whatsapp/test-send",
                 lambda: page.click("button:has-text('Kirim Tes')"))
    await page.wait_for_selector("text=berhasil dikirim", timeout=10000)
    await mark("delivered")
    sent = [m for m in outbox("081277770099") if "Tes WhatsApp dari panel admin hotspot." in m["message"]]
    assert sent, "the test message is not in the gateway's outbox"
    await mark("logged as sent")
    await go(page, watch, "/admin/logs")
    entry = page.locator("tbody tr").filter(has_text="SEND WHATSAPP NOTIFICATION").first
    await entry.wait_for(timeout=15000)
    shown = " ".join((await entry.inner_text()).split())
    assert "Berhasil kirim" in shown, f"/admin/logs shows the delivered test message as: {shown!r}"
    await watch.check()


async def admin_logs(page, mark):
    """/admin/logs: the action logs listed (earlier scenarios left some), then exported as CSV."""
    watch = await signed_in_admin(page, mark)
    await mark("logs page")
    await go(page, watch, "/admin/logs")
    watch.where = "/admin/logs: load and export"
    await page.get_by_text(re.compile(r"^\s*[1-9][0-9]* log\s*$")).first.wait_for(timeout=15000)
    await mark("export")
    item = page.locator(".v-overlay--active .v-list-item").filter(has_text="CSV").first
    # The menu opens on the button's click once the page has settled; a click during its
    # opening transition (a loaded machine) is clicked again, and an item clicked as the menu
    # closed (no export asked for) is chosen again from a menu opened anew.
    for attempt in range(3):
        for _ in range(5):
            await page.click("button:has-text('Ekspor')")
            try:
                await item.wait_for(state="visible", timeout=3000)
                break
            except PlaywrightTimeout:
                await page.keyboard.press("Escape")
        await item.wait_for(state="visible", timeout=3000)
        # The page fetches the export and hands it to the browser as a download (a blob link);
        # the file is what the operator gets (playwright has no body for the attachment answer).
        try:
            async with page.expect_download(timeout=20000) as got:
                await answer(page, watch, "GET", "/api/admin/action-logs/export", lambda: item.click(), 8000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            await page.keyboard.press("Escape")
    download = await got.value
    with open(await download.path(), encoding="utf-8-sig") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1 and rows[0][:2] == ["Waktu", "Admin Pelaku"], f"the export is not the logs as CSV: {text[:120]!r}"
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    await page.wait_for_selector("text=Laporan log berhasil diunduh", timeout=10000)
    await watch.check()


async def admin_settings(page, mark):
    """/admin/settings/general: the app's name changed and saved (PUT /api/admin/settings, the
    page's success toast); after a reload the page shows the stored name."""
    name = "Hotspot Uji Peramban"
    field = "input[placeholder='Contoh: Portal Hotspot Sobigidul']"
    watch = await signed_in_admin(page, mark)
    await mark("settings page")
    await go(page, watch, "/admin/settings/general")
    watch.where = "/admin/settings/general: rename and save"
    await page.locator(field).wait_for(timeout=15000)
    before = await page.locator(field).input_value()
    assert before != name, f"the app's name is already {name!r}"
    await mark("rename")
    await fill(page, field, name)
    await mark("save")
    _, text = await answer(page, watch, "PUT", "/api/admin/settings",
                           lambda: page.click("button:has-text('Simpan Perubahan')"))
    assert "app_name" in json.loads(text).get("changed", []), f"the save did not change the app's name: {said(text)}"
    await page.wait_for_selector("text=Pengaturan berhasil diperbarui.", timeout=10000)
    await mark("reload")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    box = page.locator(field)
    await box.wait_for(timeout=15000)
    shown = ""
    for _ in range(50):  # the settings arrive after mount
        shown = await box.input_value()
        if shown == name:
            break
        await page.wait_for_timeout(200)
    assert shown == name, f"after a reload the page shows the app's name as {shown!r}, not {name!r}"
    await watch.check()


async def admin_package_edit(page, mark):
    """/admin/packages: the seeded package's price changed in the edit dialog and saved (PUT
    /api/admin/packages/{id}); after a reload the list shows the new price as the page formats
    rupiah."""
    watch = await signed_in_admin(page, mark)
    await mark("packages page")
    await go(page, watch, "/admin/packages")
    watch.where = "/admin/packages: edit the price"
    row = page.locator("tbody tr").filter(has_text="Mingguan 5 GB").first
    await row.wait_for(timeout=15000)
    assert "Rp 15.000" in " ".join((await row.inner_text()).split()), "the package is not listed at Rp 15.000"
    await mark("edit")
    await row.locator("button:has(i.tabler-pencil)").click()
    dialog = page.locator(".v-dialog:has-text('Edit Paket Jualan')").last
    await dialog.wait_for(state="visible", timeout=10000)
    await mark("price")
    price = dialog.get_by_label("Harga Jual")
    for _ in range(10):  # the dialog's watcher formats what is typed: 17500 → 17.500
        await price.fill("17500")
        await page.wait_for_timeout(300)
        if await price.input_value() == "17.500":
            break
    assert await price.input_value() == "17.500", f"the price field shows {await price.input_value()!r}"
    await mark("save")
    await answer(page, watch, "PUT", "/api/admin/packages/",
                 lambda: dialog.locator("button:has-text('Simpan')").click())
    await page.wait_for_selector("text=Paket berhasil diperbarui.", timeout=10000)
    await dialog.wait_for(state="hidden", timeout=15000)
    await mark("reload")
    await page.reload()
    await page.wait_for_load_state("networkidle")
    row = page.locator("tbody tr").filter(has_text="Mingguan 5 GB").first
    await row.wait_for(timeout=15000)
    await row.filter(has_text="Rp 17.500").wait_for(timeout=15000)
    await watch.check()


async def admin_broadcast(page, mark):
    """/admin/whatsapp: "Kirim Massal" to every user (POST /api/admin/whatsapp/broadcast): the
    broadcast is taken for the users and the page's toast tells its count."""
    watch = await signed_in_admin(page, mark)
    await mark("whatsapp page")
    await go(page, watch, "/admin/whatsapp")
    watch.where = "/admin/whatsapp: broadcast"
    card = page.locator(".v-card").filter(has_text="Kirim Informasi Massal").last
    await card.wait_for(timeout=15000)
    await mark("target")
    target = card.locator(".v-select").filter(has_text="Target Penerima")
    # A click on an item while the menu still moves can land on its neighbour ("Semua Komandan"
    # on a loaded machine), and a click on the field while its menu is closing leaves it shut
    # (CI once waited 30 s for an item that never showed): each try closes any menu, opens it,
    # waits for the item to settle, picks it, and the choice is read back until it shows.
    item = page.locator(".v-overlay--active .v-list-item").filter(has_text="Semua User").last
    for _ in range(4):
        try:
            await page.keyboard.press("Escape")
            await page.wait_for_timeout(300)
            await target.locator(".v-field").click(timeout=5000)
            await item.wait_for(state="visible", timeout=5000)
            await page.wait_for_timeout(300)
            await item.click(timeout=5000)
        except Exception:
            continue
        await page.wait_for_timeout(300)
        if "Semua User" in await target.inner_text():
            break
    assert "Semua User" in await target.inner_text(), "the broadcast's target is not every user"
    await mark("message")
    await card.get_by_label("Pesan Informasi").fill("Info uji peramban: perawatan jaringan malam ini.")
    await mark("send")
    _, text = await answer(page, watch, "POST", "/api/admin/whatsapp/broadcast",
                           lambda: card.locator("button:has-text('Kirim Massal')").click())
    got = json.loads(text)
    assert got.get("target_role") == "USER" and got.get("total_recipients", 0) >= 1, \
        f"the broadcast's answer: {said(text)}"
    await page.wait_for_selector(f"text=Role USER: terkirim {got.get('sent_count')}/{got['total_recipients']}",
                                 timeout=10000)
    await watch.check()
    return f"{got['total_recipients']} recipients"


async def blocked_user(page, mark):
    """A blocked account signs in on /login off the hotspot: its code is sent, verify-otp signs
    it in to a session that only shows its state (no device), and the frontend's own routing
    takes the signed-in blocked user to /policy/blocked, which shows the block. (A 403 with the
    status token would not get there: the frontend's 403 handler signs out and clears the token
    before its policy page reads it.)"""
    watch = ApiWatch(page)
    await login_code(page, mark, BLOCKED)
    await mark("verify")
    await wait_url(page, "/policy/blocked", 30000)
    await mark("policy page")
    await page.wait_for_selector("text=Akses Diblokir", timeout=15000)
    await watch.idle()
    await watch.check()


def telegram_start(chat, username, payload):
    """What Telegram does when a person opens the bot's deep link and presses Start: the
    /start update posted to our webhook with the secret header; the webhook's status."""
    update = {"update_id": 1, "message": {
        "message_id": 1, "date": 0, "chat": {"id": chat, "type": "private", "username": username},
        "from": {"id": chat, "is_bot": False, "first_name": "Tari", "username": username},
        "text": f"/start {payload}", "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}
    req = urllib.request.Request(TELEGRAM_HOOK, data=json.dumps(update).encode(), method="POST", headers={
        "Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})
    with urllib.request.urlopen(req) as r:
        return r.status


def telegram_outbox():
    """The simulated bot's messages."""
    with urllib.request.urlopen(f"{TELEGRAM_SIM}/_sim/outbox") as r:
        return json.load(r)


async def user_telegram(page, mark):
    """/akun: "Connect Telegram" issues a link token (POST /api/auth/me/telegram/link-token) and
    the page offers the bot's deep link (the tab it opens is kept off the internet); Telegram's
    /start with that token, posted to our webhook, links the chat: "Refresh Status" shows it
    linked and the bot greets the chat."""
    assert TELEGRAM_HOOK and TELEGRAM_SIM, "the test server has no Telegram bot (browser.rs sets one)"
    await page.context.route("https://t.me/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<html><body>t.me (kept off the internet)</body></html>"))
    watch = ApiWatch(page)
    await login_as(page, mark, TELEGRAM_USER, "2 GB")
    watch.signed_in = True
    await mark("/akun")
    await go(page, watch, "/akun")
    watch.where = "/akun: connect Telegram"
    await page.wait_for_selector("text=Klik \"Connect Telegram\" lalu tekan Start", timeout=15000)
    await mark("connect")
    async with page.context.expect_page(timeout=15000) as opened:
        _, text = await answer(page, watch, "POST", "/api/auth/me/telegram/link-token",
                               lambda: page.click("button:has-text('Connect Telegram')"))
    link = json.loads(text).get("link_url", "")
    prefix = f"https://t.me/{TELEGRAM_BOT}?start="
    assert link.startswith(prefix), f"the link token's answer: {said(text)}"
    tab = await opened.value
    await tab.wait_for_load_state()
    assert tab.url == link, f"the page opened {tab.url}, not the deep link {link}"
    await tab.close()
    await mark("link shown")
    await page.wait_for_function("url => [...document.querySelectorAll('input')].some(i => i.value === url)",
                                 arg=link, timeout=10000)
    await mark("telegram /start")
    status = await asyncio.to_thread(telegram_start, 424242, "tari_tg", link[len(prefix):])
    assert status == 200, f"our webhook answered Telegram's /start with {status}"
    await mark("refresh status")
    await answer(page, watch, "GET", "/api/auth/me/telegram/status",
                 lambda: page.click("button:has-text('Refresh Status')"))
    await page.wait_for_selector("text=Telegram sudah terhubung.", timeout=10000)
    await page.wait_for_selector("text=(@tari_tg)", timeout=5000)
    await mark("greeted")
    greeted = []
    for _ in range(25):
        greeted = [m for m in await asyncio.to_thread(telegram_outbox) if m["chat_id"] == 424242]
        if greeted:
            break
        await page.wait_for_timeout(200)
    assert any("terhubung" in m["text"] for m in greeted), f"the bot's messages to the chat: {greeted}"
    await watch.check()


BUYER = ("081234567005", "Pembeli Browser")  # seeded by browser.rs: bought a package from /beli


async def lend_on_credit(page, mark, phone, package, note):
    """As the admin (signed in on /admin in a context of its own), with the console's session:
    the user and the package looked up (GET /api/admin/users, /api/admin/packages), then the
    package lent on credit as the user editor's save does it (PUT /api/admin/users/{id} with
    debt_package_id and debt_note); the user as the admin's list showed them."""
    context = await page.context.browser.new_context()
    try:
        admin = await context.new_page()
        await admin_login(admin, mark, PORTAL)
        await mark("lend on credit")
        api = admin.request
        r = await api.get(f"{PORTAL}/api/admin/users", params={"search": phone})
        assert r.ok, f"GET /api/admin/users answered {r.status} ({said(await r.text())})"
        users = [u for u in (await r.json())["items"] if u.get("phone_number", "").endswith(phone[1:])]
        assert len(users) == 1, f"the admin's search for {phone} found {len(users)} users"
        r = await api.get(f"{PORTAL}/api/admin/packages")
        assert r.ok, f"GET /api/admin/packages answered {r.status} ({said(await r.text())})"
        found = [p for p in (await r.json())["items"] if p.get("name") == package]
        assert found, f"no package {package!r} in /api/admin/packages"
        r = await api.put(f"{PORTAL}/api/admin/users/{users[0]['id']}", headers={"Origin": PORTAL},
                          data={"debt_package_id": found[0]["id"], "debt_note": note})
        assert r.ok, f"PUT /api/admin/users/{{id}} (the lend) answered {r.status} ({said(await r.text())})"
        return users[0]
    finally:
        await context.close()


async def user_debt(page, mark):
    """Quota on credit as the user sees it: the admin lends the package on sale to the buyer
    (the user editor's save, through the API); the buyer signs in, /riwayat lists the open debt
    (GET /api/users/me/quota-debts: its quota, "BELUM LUNAS") and the purchase from /beli gets
    its invoice (the row's button opens GET /api/transactions/{order}/invoice in a tab: a PDF)."""
    await lend_on_credit(page, mark, BUYER[0], "Mingguan 5 GB", "Pinjaman uji peramban")
    watch = ApiWatch(page)
    await login_as(page, mark, BUYER[0], "11 GB")  # 1 GB + 5 GB bought + 5 GB lent
    watch.signed_in = True
    await mark("/riwayat")
    await go(page, watch, "/riwayat")
    watch.where = "/riwayat: the debt and the invoice"
    await mark("debt listed")
    card = page.locator(".v-card").filter(has_text="Tunggakan Kuota").first
    await card.wait_for(timeout=15000)
    row = card.locator("tbody tr").filter(has_text="BELUM LUNAS").first
    await row.wait_for(timeout=15000)
    shown = " ".join((await row.inner_text()).split())
    assert "5 GB" in shown and "Lunasi" in shown, f"/riwayat shows the debt as: {shown!r}"
    await card.get_by_text("1 belum lunas").wait_for(timeout=5000)
    await mark("invoice")
    button = "button[title='Download Invoice']"
    bought = page.locator("tbody tr").filter(has_text="Mingguan 5 GB").filter(has=page.locator(button)).first
    await bought.wait_for(timeout=15000)
    # The button opens the invoice's address in a new tab (or, a popup refused, fetches it): the
    # answer is awaited wherever the browser makes the call.
    async with page.context.expect_event(
            "response", lambda r: "/api/transactions/" in r.url and r.url.endswith("/invoice"), timeout=20000) as got:
        await bought.locator(button).click()
    r = await got.value
    kind = r.headers.get("content-type", "")
    assert r.status == 200 and kind.startswith("application/pdf"), \
        f"GET {api_path(r.url)} answered {r.status} {kind}"
    # Chromium hands a tab's PDF to its viewer (what playwright then reads is the viewer's page),
    # so the bytes are checked on a second fetch with the same session.
    again = await page.request.get(r.url)
    body = await again.body()
    assert again.status == 200 and body.startswith(b"%PDF-"), \
        f"GET {api_path(r.url)} again: {again.status}, not a PDF: {body[:20]!r}"
    for other in page.context.pages:
        if other != page:
            await other.close()
    await watch.check()


async def admin_debt_settle(page, mark):
    """/admin/users: the buyer's editor, "Detail Tunggakan" opens the debt ledger (GET
    /api/admin/users/{id}/debts), the open debt (its package named from the note) settled in
    cash with its row's "Lunasi" (POST …/debts/{debt}/settle), the receipt fetched from the
    answer's receipt_url (GET /api/documents/<token>: a PDF), and the ledger then shows the row
    paid (LUNAS)."""
    watch = await signed_in_admin(page, mark)
    await mark("users page")
    await go(page, watch, "/admin/users")
    watch.where = "/admin/users: settle the debt"
    await fill(page, "input[placeholder='Cari nama atau nomor HP']", BUYER[1].split()[0])
    row = page.locator("tbody tr").filter(has_text=BUYER[1]).first
    await row.wait_for(timeout=15000)
    await mark("editor")
    await row.locator("button:has(i.tabler-pencil)").click()
    editor = page.locator(".v-dialog").last
    await editor.locator("text=Akses & Kuota").click()
    await mark("ledger")
    await editor.locator("button:has-text('Detail Tunggakan')").click()
    ledger = page.locator(".v-dialog:has-text('Riwayat Tunggakan')").last
    await ledger.wait_for(state="visible", timeout=10000)
    debt = ledger.locator("tbody tr").filter(has_text="Mingguan 5 GB")
    await debt.filter(has_text="BELUM LUNAS").first.wait_for(timeout=15000)
    shown = " ".join((await debt.first.inner_text()).split())
    assert "Rp 17.500" in shown, f"the ledger shows the debt as: {shown!r}"
    await mark("settle")
    async with page.expect_response(lambda r: "/api/documents/" in r.url, timeout=30000) as got:
        _, text = await answer(page, watch, "POST", "/settle",
                               lambda: debt.first.locator("button:has-text('Lunasi')").click())
    settled = json.loads(text)
    receipt = await got.value
    assert settled.get("receipt_url") == api_path(receipt.url), \
        f"the settlement's answer: {said(text)}; the page fetched {api_path(receipt.url)}"
    kind = receipt.headers.get("content-type", "")
    assert receipt.status == 200 and kind.startswith("application/pdf"), \
        f"GET {api_path(receipt.url)} (the receipt) answered {receipt.status} {kind}"
    # The page reads it as a blob, which leaves playwright no body: the link (good for an hour,
    # no session needed) is fetched again for the bytes.
    again = await page.request.get(receipt.url)
    body = await again.body()
    assert again.status == 200 and body.startswith(b"%PDF-"), \
        f"GET {api_path(receipt.url)} again: {again.status}, not a PDF: {body[:20]!r}"
    await mark("paid")
    await debt.filter(has_not_text="BELUM LUNAS").filter(has_text="LUNAS").first.wait_for(timeout=15000)
    await ledger.get_by_text("0 belum lunas").first.wait_for(timeout=10000)
    for other in page.context.pages:  # the receipt's tab, if the browser opened one
        if other != page:
            await other.close()
    await watch.check()
    return f"receipt {settled.get('receipt_no')}"


# The shop on Midtrans's Core API (scenarios beli qris and admin bill), as the operator sets it on
# /admin/settings; back to Snap after each.
CORE_API = {"PAYMENT_PROVIDER_MODE": "core_api", "CORE_API_ENABLED_PAYMENT_METHODS": "qris,gopay,va",
            "CORE_API_ENABLED_VA_BANKS": "bni,bri,mandiri"}
CORE_API_USER = (PAGES_USER, "Uli Halaman")  # 3 GB: buys with QRIS (then starts a VA payment)
BILLED = ("081234567001", "Budi Aktif")  # billed by the admin from /admin/users


async def put_settings(admin, settings):
    """PUT /api/admin/settings as the settings page saves, with the admin page's session."""
    r = await admin.request.put(f"{PORTAL}/api/admin/settings", headers={"Origin": PORTAL},
                                data={"settings": settings})
    if not r.ok:
        raise AssertionError(f"PUT /api/admin/settings {settings} answered {r.status} ({said(await r.text())})")


@contextlib.asynccontextmanager
async def core_api_shop(page, mark):
    """The shop on Midtrans's Core API while the block runs (CORE_API saved by the super admin,
    signed in on /admin in a context of its own), then back on Snap, also when the block fails:
    later scenarios find the shop as it was. Pages loaded in the block read the mode and the
    methods from the public settings (the frontend's server loads them on each full load)."""
    context = await page.context.browser.new_context()
    try:
        admin = await context.new_page()
        await admin_login(admin, mark, PORTAL)
        await mark("core api mode")
        await put_settings(admin, CORE_API)
        failed = True
        try:
            yield
            failed = False
        finally:
            try:
                await put_settings(admin, {"PAYMENT_PROVIDER_MODE": "snap"})
            except Exception:
                if not failed:  # else the block's own failure is the one to report
                    raise
    finally:
        await context.close()


def midtrans_pay(order_id):
    """What the payer's bank does: the simulated Midtrans settles the order and sends its signed
    notifications to our backend before it answers; its answer."""
    req = urllib.request.Request(f"{MIDTRANS_SIM}/_sim/transactions/{urllib.parse.quote(order_id)}/pay",
                                 data=b"", method="POST")
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def public_setting(key):
    """A setting as the frontend's server reads it for every page (GET /api/settings/public)."""
    with urllib.request.urlopen(f"{PORTAL}/api/settings/public") as r:
        return {s["setting_key"]: s["setting_value"] for s in json.load(r)}.get(key)


async def beli_core_api(page, watch, mark, method, bank=None):
    """/beli in Core API mode: the package's "Beli Sekarang" opens "Pilih Metode Pembayaran", the
    method (and the VA's bank) picked, "Lanjutkan Pembayaran" starts the payment (POST
    /api/transactions/initiate) and the page goes on to /payment/status with the order and its
    status token; the initiate's answer. The page knows the mode only from the public settings:
    without PAYMENT_PROVIDER_MODE there it takes the shop for Snap's and starts the payment with
    its default method (QRIS) on the button itself; method None expects that."""
    await mark(f"/beli: {method or 'default method'}")
    await go(page, watch, "/beli")
    watch.where = f"/beli: {method or 'default method'}"
    card = page.locator(".package-card").filter(has_text="Mingguan 5 GB").first
    await card.wait_for(timeout=15000)
    buy = card.locator("button:has-text('Beli Sekarang')")
    if method is None:
        await mark("buy, no method dialog")
        _, text = await answer(page, watch, "POST", "/api/transactions/initiate", lambda: buy.click())
    else:
        await buy.click()
        dialog = page.locator(".v-dialog:has-text('Pilih Metode Pembayaran')").last
        await dialog.wait_for(state="visible", timeout=10000)
        await mark(f"method {method}")
        radio = dialog.locator(".payment-method-radio").filter(has_text=method).first
        await radio.click()
        await radio.locator("input[type=radio]:checked").wait_for(state="attached", timeout=5000)
        if bank:
            await mark(f"bank {bank}")
            await dialog.locator(".v-select").filter(has_text="Pilih Bank VA").locator(".v-field").click()
            await page.locator(".v-overlay--active .v-list-item").filter(has_text=bank).last.click()
            await page.wait_for_timeout(300)
        await mark(f"pay by {method}")
        _, text = await answer(page, watch, "POST", "/api/transactions/initiate",
                               lambda: dialog.locator("button:has-text('Lanjutkan Pembayaran')").click())
    started = json.loads(text)
    order = started.get("order_id") or ""
    assert order and started.get("provider_mode") == "core_api", f"the initiate's answer: {said(text)}"
    await page.wait_for_url(lambda u: "/payment/status" in u and order in u, timeout=20000)
    watch.where = f"/payment/status ({method or 'default method'})"
    return started


async def beli_qris(page, mark):
    """The shop on Midtrans's Core API (core_api_shop): a user's /beli offers the enabled methods;
    QRIS starts a charge (POST /api/transactions/initiate: provider_mode core_api, our QR image's
    address, a status link with its token) and lands on /payment/status, whose QR image answers
    a PNG; the order paid through the simulated Midtrans (its signed notifications to our
    backend), "Cek Status Pembayaran" shows it paid and the dashboard the package's 5 GB added
    (3 + 5). The same status link opened signed out (a fresh context) reads the public status
    (GET /api/transactions/public/by-order-id/{order}?t=…, after the 401 of the signed-in read
    the page tries first) and shows the payment verified, nothing of the account. Then a VA: BNI
    picked on /beli, the status page shows the VA number the initiate answered (left unpaid).

    The page learns the mode and the methods from GET /api/settings/public only; while that list
    lacks PAYMENT_PROVIDER_MODE, /beli shows no method dialog and pays with its default, QRIS:
    the purchase is checked that way and the VA (which needs the dialog) is left out."""
    assert MIDTRANS_SIM, "the test server has no Midtrans simulator address (browser.rs sets MIDTRANS_SIM)"
    async with core_api_shop(page, mark):
        offered = await asyncio.to_thread(public_setting, "PAYMENT_PROVIDER_MODE") == "core_api"
        watch = ApiWatch(page)
        await login_as(page, mark, CORE_API_USER[0], "3 GB")
        watch.signed_in = True
        async with page.expect_response(
                lambda r: "/api/transactions/" in r.url and "/qr" in urllib.parse.urlsplit(r.url).path,
                timeout=30000) as qr:
            started = await beli_core_api(page, watch, mark, "QRIS" if offered else None)
            order, token = started["order_id"], started.get("status_token") or ""
            assert started.get("payment_method") == "qris" and started.get("qr_code_url") == \
                f"/api/transactions/{order}/qr", f"the initiate's answer (QRIS): {json.dumps(started)[:300]}"
            status_url = started.get("status_url") or ""
            assert token and f"order_id={order}" in status_url and f"t={token}" in status_url, \
                f"the initiate's status link: {status_url!r} (token {token!r})"
            await mark("waiting for payment")
            await page.wait_for_selector("text=Menunggu Pembayaran", timeout=20000)
            await page.wait_for_selector("text=Scan QR Code Menggunakan Aplikasi Pembayaran Anda", timeout=10000)
        await mark("qr image")
        image = await qr.value
        kind = image.headers.get("content-type", "")
        assert image.status == 200 and kind.startswith("image/png"), \
            f"GET {api_path(image.url)} (the QR image) answered {image.status} {kind}"
        again = await page.request.get(image.url)
        body = await again.body()
        assert again.status == 200 and body.startswith(b"\x89PNG"), \
            f"GET {api_path(image.url)} again: {again.status}, not a PNG: {body[:8]!r}"
        await mark("pay")
        paid = await asyncio.to_thread(midtrans_pay, order)
        assert paid.get("transaction_status") == "settlement", f"the simulator's answer: {paid}"
        await mark("paid shown")
        await answer(page, watch, "GET", f"/api/transactions/by-order-id/{order}",
                     lambda: page.locator("button:has-text('Cek Status Pembayaran')").last.click())
        await page.wait_for_selector("text=Pembayaran Berhasil", timeout=20000)
        # /beli's link carries the status token: the page shows the public status, signed in too.
        await page.wait_for_selector("text=Pembayaran telah berhasil diverifikasi oleh sistem.", timeout=10000)
        await mark("quota added")
        await go(page, watch, "/dashboard")
        await page.wait_for_selector("text=Kuota tersisa", timeout=15000)
        shown = await page.inner_text("body")
        assert "8 GB" in shown, "the dashboard does not show the 8 GB (3 GB + the package's 5 GB)"
        await mark("signed out")
        await public_status(page, order, urllib.parse.urljoin(PORTAL, status_url), CORE_API_USER)
        if offered:
            started = await beli_core_api(page, watch, mark, "Transfer Virtual Account", "BNI")
            va = started.get("va_number") or ""
            assert started.get("payment_method") == "bni_va" and va, \
                f"the initiate's answer (VA BNI): {json.dumps(started)[:300]}"
            await mark("va number shown")
            await page.wait_for_selector("text=Menunggu Pembayaran", timeout=20000)
            await page.wait_for_function("va => [...document.querySelectorAll('input')].some(i => i.value === va)",
                                         arg=va, timeout=10000)
            await page.get_by_text("Cara bayar VA BNI").first.wait_for(timeout=5000)
        await watch.check()
    if not offered:
        return f"{order} paid; no method dialog (PAYMENT_PROVIDER_MODE not in /api/settings/public): VA left out"
    return f"{order} paid, VA {va}"


async def public_status(page, order, url, account):
    """The payment's status link opened signed out, in a context of its own: the page reads the
    public status with the link's token and shows the payment verified; neither the answer nor
    the page shows the account's name or number."""
    context = await page.context.browser.new_context()
    guest = await context.new_page()
    watch = ApiWatch(guest)
    try:
        watch.where = "/payment/status signed out"
        # The page asks the signed-in read first and falls back on the token after its 401.
        watch.allow("GET", f"/api/transactions/by-order-id/{order}", 401)
        async with guest.expect_response(
                lambda r: "/api/transactions/public/by-order-id/" in r.url, timeout=30000) as got:
            await guest.goto(url)
        r = await got.value
        text = await r.text()
        assert r.status == 200 and json.loads(text).get("midtrans_order_id") == order, \
            f"GET {api_path(r.url)} answered {r.status} ({said(text)})"
        name, phone = account[1], account[0][1:]
        assert name not in text and phone not in text, f"the public status tells the account: {said(text)}"
        await guest.wait_for_selector("text=Pembayaran Berhasil", timeout=15000)
        await guest.wait_for_selector("text=Pembayaran telah berhasil diverifikasi oleh sistem.", timeout=10000)
        await watch.idle()
        shown = await guest.inner_text("body")
        assert name not in shown and phone not in shown, "the public status page shows the account"
        lines = await watch.lines()
        if lines:
            raise AssertionError("\n    " + "\n    ".join(lines))
    except Exception as e:
        shot = os.path.join(SHOTS, "beli_qris-signed_out.png")
        try:  # the signed-out page's picture; the scenario keeps the signed-in one
            await guest.screenshot(path=shot, full_page=True)
        except Exception:
            shot = "(no screenshot)"
        raise AssertionError(f"signed out, at {guest.url} (screenshot {shot}): {e}") from e
    finally:
        WATCHES.pop(id(guest), None)
        await context.close()


async def admin_bill(page, mark):
    """/admin/users with the Core API's methods enabled (core_api_shop): a user's "Buat Tagihan"
    dialog, QRIS and the package picked, "Kirim Tagihan" (POST /api/admin/transactions/bill)
    answers 201 with the order and whatsapp_sent, the page's toast names the order, and the bill
    reaches the user's WhatsApp (the gateway simulator's outbox; the worker sends what the bill
    queued) with the order id."""
    async with core_api_shop(page, mark):
        watch = await signed_in_admin(page, mark)
        await mark("users page")
        await go(page, watch, "/admin/users")
        watch.where = "/admin/users: bill"
        await fill(page, "input[placeholder='Cari nama atau nomor HP']", BILLED[1].split()[0])
        row = page.locator("tbody tr").filter(has_text=BILLED[1]).first
        await row.wait_for(timeout=15000)
        await mark("bill dialog")
        await row.locator("button:has(i.tabler-qrcode)").click()
        dialog = page.locator(".v-dialog:has-text('Kirim Tagihan')").last
        await dialog.wait_for(state="visible", timeout=10000)
        assert await dialog.get_by_label("Pengguna").input_value() == BILLED[1], "the dialog names another user"
        await mark("method")
        await dialog.locator(".v-select").filter(has_text="Metode Pembayaran").locator(".v-field").click()
        await page.locator(".v-overlay--active .v-list-item").filter(has_text="QRIS").last.click()
        await page.wait_for_timeout(300)
        await mark("package")
        await dialog.locator(".v-autocomplete .v-field").click()
        await page.locator(".v-overlay--active .v-list-item").filter(has_text="Mingguan 5 GB").last.click()
        await dialog.get_by_text("Harga: Rp").wait_for(timeout=5000)
        await mark("send")
        status, text = await answer(page, watch, "POST", "/api/admin/transactions/bill",
                                    lambda: dialog.locator("button:has-text('Kirim Tagihan')").click())
        bill = json.loads(text)
        order = bill.get("order_id") or ""
        assert status == 201 and order and bill.get("whatsapp_sent") is True, f"the bill's answer: {status} {said(text)}"
        await page.get_by_text(f"({order})").first.wait_for(timeout=10000)
        await dialog.wait_for(state="hidden", timeout=10000)
        await mark("whatsapp")
        sent = []
        for _ in range(50):  # queued: the worker sends it
            sent = [m for m in await asyncio.to_thread(outbox, BILLED[0]) if order in m["message"]]
            if sent:
                break
            await page.wait_for_timeout(300)
        assert sent, f"no WhatsApp message to {BILLED[0]} names the order {order}"
        await watch.check()
    return f"order {order}"


async def admin_backup(page, mark):
    """/admin/backup: a backup made ("Buat Backup", POST /api/admin/backups) is listed, then
    restored from through the row's Restore and its confirmation (POST /api/admin/backups/restore);
    the console still works after (/admin/users lists the users). The restore replaces the
    database: this scenario runs last."""
    watch = await signed_in_admin(page, mark)
    await mark("backup page")
    await go(page, watch, "/admin/backup")
    watch.where = "/admin/backup: create"
    await mark("create")
    _, text = await answer(page, watch, "POST", "/api/admin/backups",
                           lambda: page.click("button:has-text('Buat Backup')"), timeout_ms=60000)
    name = json.loads(text).get("name", "")
    assert name.endswith(".dump"), f"the backup's answer: {said(text)}"
    await page.wait_for_selector("text=Backup berhasil dibuat.", timeout=10000)
    await mark("listed")
    row = page.locator("tbody tr").filter(has_text=name).first
    await row.wait_for(timeout=15000)
    await mark("restore")
    watch.where = "/admin/backup: restore"
    await row.locator("button:has-text('Restore')").click()
    dialog = page.locator(".v-dialog:has-text('Konfirmasi Restore Database')").last
    await dialog.wait_for(state="visible", timeout=10000)
    await mark("confirm")
    _, text = await answer(page, watch, "POST", "/api/admin/backups/restore",
                           lambda: dialog.locator("button:has-text('Ya, Restore')").click(), timeout_ms=120000)
    assert json.loads(text).get("filename") == name, f"the restore's answer: {said(text)}"
    await page.wait_for_selector(f"text=Restore {name} selesai dijalankan.", timeout=10000)
    await dialog.wait_for(state="hidden", timeout=10000)
    await mark("users after")
    await go(page, watch, "/admin/users")
    await page.locator("tbody tr").filter(has_text="Budi Aktif").first.wait_for(timeout=15000)
    await watch.check()


async def main():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=ARGS)
        results = []
        for name, steps in [("captive", captive_to_dashboard), ("login", login_off_hotspot),
                            ("waiting", waiting_user), ("register", register_tab), ("admin", admin_flow),
                            ("buy", buy_package), ("admin billing", admin_billing_pages),
                            ("admin pages", admin_pages), ("komandan pages", komandan_pages),
                            ("user pages", user_pages), ("admin promo", admin_promo),
                            ("admin request", admin_request), ("admin notifications", admin_notifications),
                            ("admin whatsapp", admin_whatsapp), ("admin logs", admin_logs),
                            ("admin settings", admin_settings), ("admin package edit", admin_package_edit),
                            ("admin broadcast", admin_broadcast), ("blocked", blocked_user),
                            ("user telegram", user_telegram),
                            ("user debt", user_debt), ("admin debt settle", admin_debt_settle),
                            ("beli qris", beli_qris), ("admin bill", admin_bill),
                            # Last: the restore replaces the database with the archive's content.
                            ("admin backup", admin_backup)]:
            results.append(await scenario(browser, name, steps))
        await browser.close()
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


asyncio.run(main())
