// The example page in real headless Chromium against the real service: each
// flow shows a typed error as a user meets it.
import { existsSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createApp } from '@faultline/example-api'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import { launch } from './browser'

const DIST = fileURLToPath(new URL('../dist/', import.meta.url))
const SCREENSHOT = fileURLToPath(new URL('../../../docs/example-page.png', import.meta.url))

let browser: Browser
let page: Page
let base: string
let stop: () => Promise<void>

beforeAll(async () => {
  if (!existsSync(`${DIST}index.html`)) throw new Error('apps/web is not built: run pnpm build first')
  browser = await launch()
})
afterAll(async () => {
  await browser?.close()
})
// a service of its own for each test: no rate-limit window or order carries over
beforeEach(async () => {
  const { server } = createApp({ logger: false, expose: 'safe', webRoot: DIST })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  base = `http://127.0.0.1:${address.port}`
  stop = () => new Promise((resolve) => server.close(() => resolve()))
  page = await browser.newPage()
  await page.goto(`${base}/`)
  await page.getByRole('heading', { name: 'Faultline orders' }).waitFor()
})
afterEach(async () => {
  await page?.close()
  await stop?.()
})

test('an invalid order shows field errors next to their inputs', async () => {
  const form = page.getByRole('form', { name: 'Place an order' })
  await form.locator('input[name=quantity]').fill('0')
  await form.locator('input[name=email]').fill('not-an-email')
  await form.getByRole('button', { name: 'Place order' }).click()
  await expect.poll(() => form.getByTestId('field-error-email').textContent()).toBe('Enter a valid email address')
  expect(await form.getByTestId('field-error-quantity').textContent()).toBe('At least one')
  expect(await form.getByTestId('error-banner').count()).toBe(0)
})

test('a missing order shows ORDER_NOT_FOUND with the id and the request id', async () => {
  const lookup = page.getByRole('region', { name: 'Find an order' })
  await lookup.locator('input[name=order-id]').fill('ord_missing')
  await lookup.getByRole('button', { name: 'Open' }).click()
  const banner = lookup.getByTestId('error-banner')
  await banner.waitFor()
  expect(await banner.getAttribute('data-code')).toBe('ORDER_NOT_FOUND')
  expect(await banner.locator('.message').textContent()).toBe('No order ord_missing')
  expect(await banner.getByTestId('request-id').textContent()).toMatch(/^req_[0-9a-f]{32}$/)
})

test("a receipt that bounces after the response shows the task's typed failure", async () => {
  const form = page.getByRole('form', { name: 'Place an order' })
  await form.locator('input[name=email]').fill('ada@bounce.test')
  await form.getByRole('button', { name: 'Place order' }).click()
  const receipt = page.getByRole('region', { name: 'Receipt' })
  await receipt.waitFor()
  const banner = receipt.getByTestId('error-banner')
  await banner.waitFor({ timeout: 10_000 })
  expect(await banner.getAttribute('data-code')).toBe('RECEIPT_BOUNCED')
  expect(await banner.locator('.message').textContent()).toBe('The receipt to ada@bounce.test bounced')
})

test('the fourth stock check is rate limited and counts down before retrying', async () => {
  const stock = page.getByRole('region', { name: 'Check stock' })
  const button = stock.getByRole('button', { name: 'Check stock' })
  for (let i = 0; i < 3; i++) {
    await button.click()
    await expect.poll(() => stock.getByTestId('stock').count()).toBe(1)
  }
  await button.click()
  const banner = stock.getByTestId('error-banner')
  await banner.waitFor()
  expect(await banner.getAttribute('data-code')).toBe('RATE_LIMITED')
  expect(await stock.getByTestId('countdown').textContent()).toMatch(/^Retrying in ([1-9]|10) s$/)
  expect(await button.isDisabled()).toBe(true)
})

test('a tour of the page: every panel shows its typed failure at once', async () => {
  await page.setViewportSize({ width: 1280, height: 900 })
  const form = page.getByRole('form', { name: 'Place an order' })
  await form.locator('input[name=email]').fill('ada@bounce.test')
  await form.getByRole('button', { name: 'Place order' }).click()
  await page.getByRole('region', { name: 'Receipt' }).getByTestId('error-banner').waitFor({ timeout: 10_000 })
  await form.locator('input[name=quantity]').fill('20')
  await form.locator('input[name=email]').fill('not-an-email')
  await form.getByRole('button', { name: 'Place order' }).click()
  await form.getByTestId('field-error-email').waitFor()
  const lookup = page.getByRole('region', { name: 'Find an order' })
  await lookup.locator('input[name=order-id]').fill('ord_missing')
  await lookup.getByRole('button', { name: 'Open' }).click()
  await lookup.getByTestId('error-banner').waitFor()
  const stock = page.getByRole('region', { name: 'Check stock' })
  for (let i = 0; i < 4; i++) await stock.getByRole('button', { name: 'Check stock' }).click()
  await stock.getByTestId('countdown').waitFor()
  expect(await page.getByTestId('error-banner').count()).toBe(3)
  const png = await page.screenshot({ fullPage: true })
  expect(png.byteLength).toBeGreaterThan(10_000)
  // UPDATE_SCREENSHOT=1 refreshes the README's picture
  if (process.env.UPDATE_SCREENSHOT) writeFileSync(SCREENSHOT, png)
})
