// Nuisances switched on by the scenario: cookie banner, promo pop-up, chat bubble, overlay.
(function () {
  window.siteToast = function (text) {
    const t = document.createElement('div');
    t.className = 'toast';
    t.textContent = text;
    document.body.append(t);
    setTimeout(() => t.remove(), 1500);
  };

  const banner = document.querySelector('[data-nuisance="cookie"]');
  if (banner && !document.cookie.includes('cookie_consent=')) {
    banner.hidden = false;
    banner.querySelectorAll('[data-consent]').forEach((b) => b.addEventListener('click', () => {
      document.cookie = `cookie_consent=${b.dataset.consent}; path=/; SameSite=Lax`;
      banner.remove();
    }));
  }

  const promo = document.querySelector('[data-nuisance="promo"]');
  if (promo && !sessionStorage.getItem('promo_closed')) {
    setTimeout(() => { promo.hidden = false; }, Number(promo.dataset.delay || 0));
    promo.querySelector('.promo-close').addEventListener('click', () => {
      sessionStorage.setItem('promo_closed', '1');
      promo.remove();
    });
  }

  const chat = document.querySelector('[data-nuisance="chat"]');
  if (chat) {
    const panel = chat.querySelector('.chat-open');
    const fab = chat.querySelector('.chat-fab');
    chat.querySelector('[data-chat="minimize"]').addEventListener('click', () => { panel.hidden = true; fab.hidden = false; });
    fab.addEventListener('click', () => { panel.hidden = false; fab.hidden = true; });
  }

  const overlay = document.querySelector('[data-nuisance="overlay"]');
  if (overlay) setTimeout(() => overlay.remove(), Number(overlay.dataset.ms || 0));
})();
