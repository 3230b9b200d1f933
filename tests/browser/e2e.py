"""The existing Nuxt frontend against our backend, in headless Chromium (Debian's, driven by
playwright; no browser is downloaded). Run by tests/browser.rs, which starts the backend on the
simulators and serves the frontend; this script gets the addresses in its environment:
PORTAL (the frontend), OUTBOX (the WhatsApp simulator), SHOTS (where screenshots of a failing
step go), ADMIN_PHONE and ADMIN_PASSWORD (a super admin's). Each scenario prints one line; any
failure exits non-zero."""

import asyncio
import json
import os
import sys
import urllib.request

from playwright.async_api import async_playwright

PORTAL = os.environ["PORTAL"]
OUTBOX = os.environ["OUTBOX"]
SHOTS = os.environ.get("SHOTS", "/tmp")
ADMIN_PHONE = os.environ.get("ADMIN_PHONE", "081200000001")
ADMIN_PASSWORD = os.environ.get("ADMIN_PASSWORD", "")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def last_code(phone):
    with urllib.request.urlopen(f"{OUTBOX}/_sim/last-code?to={phone}") as r:
        return json.load(r)["code"]


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
        await steps(page, mark)
        print(f"ok   {name}")
        return True
    except Exception as e:  # report, keep the picture, go on with the others
        shot = os.path.join(SHOTS, f"{name}-{step}.png".replace(" ", "_"))
        try:
            await page.screenshot(path=shot, full_page=True)
        except Exception:
            shot = "(no screenshot)"
        print(f"FAIL {name} at {step}: {e} (url {page.url}; screenshot {shot})")
        return False
    finally:
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


async def login_as(page, mark, phone, quota_text):
    await mark("login page")
    await page.goto(f"{PORTAL}/login")
    await fill(page, "input[placeholder='Contoh: 081234567890']", phone)
    await mark("request code")
    await page.click("button:has-text('Kirim Kode OTP')")
    await page.wait_for_selector("input[autocomplete='one-time-code'], input[inputmode='numeric']", timeout=15000)
    code = last_code(phone)
    boxes = await page.query_selector_all("input[inputmode='numeric'], input[autocomplete='one-time-code']")
    if len(boxes) >= 6:
        for box, digit in zip(boxes, code):
            await box.fill(digit)
    else:
        await boxes[0].fill(code)
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
    await page.click("button:has-text('Daftar')")
    await page.check("input[type=radio][value='KOMANDAN'], #input-v-0-13", force=True)
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


async def main():
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=ARGS)
        results = []
        for name, steps in [("captive", captive_to_dashboard), ("login", login_off_hotspot),
                            ("waiting", waiting_user), ("register", register_tab), ("admin", admin_flow),
                            ("buy", buy_package), ("admin billing", admin_billing_pages)]:
            results.append(await scenario(browser, name, steps))
        await browser.close()
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    sys.exit(0 if all(results) else 1)


asyncio.run(main())
