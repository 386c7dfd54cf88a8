// Order detail: the Order/Payment tabs and the steps of the cancel dialog.
(function () {
  const tabs = document.querySelectorAll('.detail-tabs [role="tab"]');
  tabs.forEach((tab) => tab.addEventListener('click', () => {
    tabs.forEach((t) => {
      const selected = t === tab;
      t.setAttribute('aria-selected', selected ? 'true' : 'false');
      document.getElementById(t.getAttribute('aria-controls')).hidden = !selected;
    });
  }));

  const dialog = document.querySelector('[data-cancel-dialog]');
  if (!dialog) return;
  const steps = dialog.querySelectorAll('[data-step]');
  const show = (name) => steps.forEach((s) => { s.hidden = s.dataset.step !== name; });
  const first = steps[0].dataset.step;
  const open = () => { show(first); dialog.showModal(); };
  document.querySelectorAll('[data-open="cancel"]').forEach((b) => b.addEventListener('click', open));
  dialog.querySelectorAll('[data-goto]').forEach((b) => b.addEventListener('click', () => show(b.dataset.goto)));
  dialog.querySelector('[data-close]').addEventListener('click', () => dialog.close());
  if (dialog.hasAttribute('data-open-now')) open();
})();
