// The operators' page: sign in with the admin token, then every section loads from the JSON API.
// Vietnamese by default; the switch redraws from the data already loaded.

import { getToken, setToken, whenUnauthorized } from './api.js';
import { anomaliesSection } from './anomalies.js';
import { booksSection } from './books.js';
import { flagsSection } from './flags.js';
import { gatewaysSection } from './gateways.js';
import { currentLang, setLang, t } from './i18n.js';
import { offlineSection } from './offline.js';
import { reverifySection } from './reverify.js';

const $ = (id) => document.getElementById(id);
const NAME_KEY = 'chiso.operatorName';
/** Sections without forms are refreshed on their own; the others when the operator asks (a note being typed is not wiped). */
const AUTO_REFRESH_MS = 60_000;

// Deciding a flag changes its book's counts; closing a book raises flags and exporting may change them:
// each section reloads the other, so the operator never acts on a stale list.
const books = booksSection(() => flags.reload());
const flags = flagsSection(() => books.reload(), () => books.codes());
const sections = [gatewaysSection(), offlineSection(), anomaliesSection(), flags, books, reverifySection()];
const [gateways, offline] = sections;
let timer;

function applyLabels() {
  const lang = currentLang();
  document.documentElement.lang = lang;
  document.title = t('app.title');
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const other = lang === 'vi' ? 'en' : 'vi';
  $('lang').textContent = t('app.switchTo');
  $('lang').lang = other;
  $('lang').dataset.to = other;
}

function showSignedIn(signedIn) {
  $('login').hidden = signedIn;
  $('main').hidden = !signedIn;
  $('refresh').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  clearInterval(timer);
  if (!signedIn) return void $('token').focus();
  for (const s of sections) s.draw();
  void refreshAll();
  timer = setInterval(() => void Promise.all([gateways.reload(), offline.reload()]), AUTO_REFRESH_MS);
}

async function refreshAll() {
  await Promise.all(sections.map((s) => s.reload()));
  // A flag names its book by the code from the books list: when the flags came in first they showed the
  // book's id; drawn again now that both are in (no API call).
  flags.draw();
}

whenUnauthorized((failure) => {
  setToken(null);
  $('login-error').textContent = `${t('token.refused')} ${failure.message}`;
  $('login-error').hidden = false;
  showSignedIn(false);
});

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  if (token === '') return;
  setToken(token);
  $('token').value = '';
  $('login-error').hidden = true;
  showSignedIn(true);
});

$('sign-out').addEventListener('click', () => {
  setToken(null);
  showSignedIn(false);
});

$('refresh').addEventListener('click', () => void refreshAll());

$('lang').addEventListener('click', () => {
  setLang(currentLang() === 'vi' ? 'en' : 'vi');
  applyLabels();
  for (const s of sections) s.draw();
});

$('operator-name').value = sessionStorage.getItem(NAME_KEY) ?? '';
$('operator-name').addEventListener('change', (ev) => sessionStorage.setItem(NAME_KEY, ev.currentTarget.value.trim()));

applyLabels();
showSignedIn(getToken() !== null);
