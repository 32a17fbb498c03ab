// Ways to keep a secret shown once (the recovery key, the recovery codes) without retyping it:
// copy it to the clipboard, or download it as a text file. Nothing is stored by the page.
import { h } from './dom.js';
import { t } from './i18n.js';

// A bar with "Copy the ..." and "Download the ..." buttons for the secret @kind ('key': a
// recovery key, 'codes': recovery codes, 'code': an enrolment code); @text() gives what is
// copied, @fileText what the downloaded file @filename holds.
export function keepButtons(text, filename, kind, fileText = null) {
  const status = h('span', { class: 'muted', role: 'status' });
  const copy = h('button', { type: 'button', class: 'secondary' }, t(`keep.copy.${kind}`));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      status.textContent = t('keep.copied');
    } catch {
      status.textContent = t('keep.noCopy');
    }
  });
  const save = h('button', { type: 'button', class: 'secondary' }, t(`keep.download.${kind}`));
  save.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([fileText || `${text()}\n`], { type: 'text/plain;charset=utf-8' }));
    const a = h('a', { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = t('keep.downloaded', { file: filename });
  });
  return h('div', { class: 'actions keep' }, copy, save, status);
}
