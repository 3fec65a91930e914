// Copy a link, or hand it to the phone's own share sheet (messages, mail, WhatsApp…).
// The buttons stay hidden without JavaScript: the field can still be selected by hand.

export function setupShare(row) {
  const field = document.getElementById(row.dataset.shareLink);
  const copy = row.querySelector("[data-copy]");
  const share = row.querySelector("[data-share]");
  const status = row.querySelector("[role=status]");
  if (!field) return;

  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      // No clipboard API (plain http, an old browser): the selection still copies.
      field.select();
      document.execCommand("copy");
    }
    status.textContent = row.dataset.tCopied;
  });

  if (!share) return; // a copy button alone (the hat's transfer details)
  const data = { title: row.dataset.tShareTitle, url: field.value };
  if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
    share.hidden = false;
    share.addEventListener("click", () => navigator.share(data).catch(() => {}));
  }
}
