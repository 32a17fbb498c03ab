// Ways to keep a secret shown once (the recovery key, the recovery codes) without retyping it:
// copy it to the clipboard, or download it as a text file. Nothing is stored by the page.
import { h } from './dom.js';

// A bar with "Copy the @what" and "Download the @what" buttons; @text() gives what is copied,
// @fileText what the downloaded file @filename holds.
export function keepButtons(text, filename, what, fileText = null) {
  const status = h('span', { class: 'muted', role: 'status' });
  const copy = h('button', { type: 'button', class: 'secondary' }, `Copy the ${what}`);
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      status.textContent = 'Copied. Paste it into your password manager now.';
    } catch {
      status.textContent = 'Your browser did not allow copying: select the text and copy it, or download it.';
    }
  });
  const save = h('button', { type: 'button', class: 'secondary' }, `Download the ${what}`);
  save.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([fileText || `${text()}\n`], { type: 'text/plain;charset=utf-8' }));
    const a = h('a', { href: url, download: filename, hidden: true }, 'download');
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    status.textContent = `Downloaded as ${filename}. Keep the file somewhere safe, away from this computer if you can.`;
  });
  return h('div', { class: 'actions keep' }, copy, save, status);
}
