// The administrators' view of the deployment's channels (docs/channels.md): each channel's
// number, short name, name and the settings it has of its own, a form to add one, and a form to
// change one. A setting left empty is the deployment's ([channel] in the settings file).
import { get, post, api } from './api.js';
import { h, field, clear, table } from './dom.js';
import { fail } from './shell.js';
import { showError, showDone } from './errors.js';
import { t } from './i18n.js';

// The settings a channel may have of its own (core/channels.c), in the order they are shown.
const SETTINGS = ['preset', 'ack', 'reply', 'reply_max', 'reply_from', 'timezone', 'calendar',
  'inauguration_day', 'principals', 'accept_window', 'clarify_days', 'reply_approval', 'filers',
  'agency_head', 'author_head', 'directory_group'];

// An error of the channel forms: a setting refused says which, in the server's own words (the
// values are technical: "Europe/Paris", "3 working-days").
function refused(form, e) {
  if (e.code === 'unauthorized') { fail(e); return; }
  if (e.field === 'settings') showError(form, e, t('admin.channels.badSetting', { detail: e.message }));
  else if (e.code === 'exists') showError(form, e, t('admin.channels.taken'));
  else if (e.field === 'slug') showError(form, e, t('admin.channels.badSlug'));
  else showError(form, e);
}

function own(c) {
  const kv = Object.entries(c.settings || {});
  return kv.length ? kv.map(([k, v]) => `${k} = ${v}`).join('; ') : t('admin.channels.inherits');
}

// The form that changes @c; @done() after a change.
function editForm(c, done) {
  const name = h('input', { type: 'text', value: c.name, maxlength: 128, 'data-field': 'name' });
  const inputs = Object.fromEntries(SETTINGS.map((k) => [k, h('input', { type: 'text', value: (c.settings || {})[k] || '', autocapitalize: 'none', spellcheck: 'false' })]));
  // the settings as one group: a refusal names the setting in its words, and goes above them
  const group = h('fieldset', { 'data-field': 'settings', tabindex: '-1' },
    h('legend', {}, t('admin.channels.settings')),
    h('p', { class: 'note' }, t('admin.channels.settingsNote')),
    SETTINGS.map((k) => field(k, inputs[k])));
  const form = h('form', { 'aria-label': t('admin.channels.editTitle', { slug: c.slug }), id: 'channel-edit' },
    h('h3', {}, t('admin.channels.editTitle', { slug: c.slug })),
    field(t('admin.channels.name'), name), group,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('admin.channels.save')),
      h('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, t('dialog.cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const settings = {};
    for (const k of SETTINGS) {
      const v = inputs[k].value.trim();
      if (v !== ((c.settings || {})[k] || '')) settings[k] = v;
    }
    try {
      await api('PATCH', `/api/v1/channels/${encodeURIComponent(c.slug)}`, { name: name.value.trim(), settings });
      done(true);
    } catch (e) {
      refused(form, e);
    }
  });
  return form;
}

// The channels section of the administration page.
export async function channelsSection() {
  const section = h('section', { 'aria-labelledby': 'channels-h', id: 'channels' });
  const area = h('div', { id: 'channel-edit-area' });
  async function draw(message) {
    const { channels } = await get('/api/v1/channels');
    const rows = channels.map((c) => h('tr', {},
      h('td', {}, String(c.number)), h('td', { class: 'mono' }, c.slug), h('td', {}, c.name || '—'),
      h('td', {}, own(c)),
      h('td', { class: 'row-actions' }, h('button', {
        type: 'button', class: 'secondary', 'aria-label': t('admin.channels.editLabel', { slug: c.slug }),
        onclick: () => {
          clear(area).append(editForm(c, (changed) => {
            clear(area);
            if (changed) draw(t('admin.channels.saved', { slug: c.slug })).catch(fail);
          }));
          area.querySelector('input').focus();
        },
      }, t('admin.edit')))));
    const slug = h('input', { type: 'text', required: true, autocapitalize: 'none', spellcheck: 'false', maxlength: 32, pattern: '[a-z0-9][a-z0-9\\-]{0,31}', 'data-field': 'slug' });
    const name = h('input', { type: 'text', maxlength: 128, 'data-field': 'name' });
    const add = h('form', { 'aria-label': t('admin.channels.addTitle'), id: 'channel-add' },
      h('h3', {}, t('admin.channels.addTitle')),
      field(t('admin.channels.slug'), slug, t('admin.channels.slugHint')),
      field(t('admin.channels.name'), name),
      h('button', { type: 'submit' }, t('admin.channels.add')));
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const c = await post('/api/v1/channels', { slug: slug.value.trim(), name: name.value.trim() });
        await draw(t('admin.channels.added', { slug: c.slug, number: String(c.number) }));
      } catch (e) {
        refused(add, e);
      }
    });
    clear(section).append(
      h('h2', { id: 'channels-h' }, t('admin.channels.title')),
      h('p', {}, t('admin.channels.intro')),
      table([t('admin.channels.col.number'), t('admin.channels.col.slug'), t('admin.channels.col.name'), t('admin.channels.col.settings'), ''], rows),
      area, add);
    if (message) showDone(section, message);
  }
  await draw();
  return section;
}
