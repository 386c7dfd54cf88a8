// The "real" skin's page script: everything is drawn from mtop-like JSON after a delay,
// modals and menus are appended under <body>, class names come hashed from the server.
(function () {
  const M = window.__MOCK;
  const C = M.h;
  const T = M.t;
  const DRAW_DELAY_MS = 300;
  const MASK_MS = M.maskMs === undefined ? 400 : M.maskMs;
  const LIST = '/h5/mtop.aliexpress.trade.buyer.order.list/1.0/';
  const DETAIL = '/h5/mtop.aliexpress.trade.buyer.order.detail/1.0/';
  const OPERATION = '/h5/mtop.aliexpress.trade.buyer.order.operation/1.0/';
  const THREAD = '/h5/mtop.aliexpress.message.thread/1.0/';
  const SEND = '/h5/mtop.aliexpress.message.send/1.0/';
  const POSTS = ['PAY_ORDER', 'CONFIRM_GOODS', 'ADD_TO_CART', 'DELETE_ORDER', 'OPEN_DISPUTE', 'FREE_RETURN'];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function chars(text, cls) {
    // prices: one element per character, as on the real site
    const wrap = el('div', cls);
    for (const ch of text) wrap.append(el('span', C.char, ch));
    return wrap;
  }

  function toast(text, error) {
    const t = el('div', C.toast + (error ? ' ' + C['toast-error'] : ''), text);
    document.body.append(t);
    setTimeout(() => t.remove(), 4000);
  }

  async function call(url, body) {
    const opts = {credentials: 'same-origin'};
    if (body) {
      opts.method = 'POST';
      opts.headers = {'content-type': 'application/json'};
      opts.body = JSON.stringify(Object.assign({}, body, {_tb_token_: M.token}));
    }
    const res = await fetch(url, opts);
    let json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    if (json && String(json.ret).startsWith('FAIL_SYS_USER_VALIDATE') && json.data && json.data.url) {
      window.location.href = json.data.url;  // the flood defence's punish page
      throw new Error('session expired');
    }
    if (res.status === 401 && json && String(json.ret).startsWith('FAIL_SYS_SESSION_EXPIRED')) {
      window.location.href = M.loginUrl;
      throw new Error('session expired');
    }
    if (!res.ok || !json) throw new Error('HTTP ' + res.status);
    return json.data;
  }

  function mask(parent, ms) {
    const m = el('div', 'comet-loading-wrap');
    m.append(el('div', C.spinner));
    parent.append(m);
    if (ms) setTimeout(() => m.remove(), ms);
    return m;
  }

  async function operate(orderId, operation, extra) {
    try {
      const data = await call(OPERATION, Object.assign({orderId, operation}, extra || {}));
      toast(data.message, !data.success);
      return data.success;
    } catch (e) {
      toast(T.op_error, true);
      return false;
    }
  }

  // -- nuisances ---------------------------------------------------------------------------
  function nuisances() {
    const banner = document.querySelector('[data-nuisance="cookie"]');
    if (banner && !document.cookie.includes('cookie_consent=')) {
      banner.style.display = 'flex';
      banner.querySelector('.btn-accept').addEventListener('click', () => {
        document.cookie = 'cookie_consent=accepted; path=/; SameSite=Lax';
        banner.remove();
      });
    }
    const promo = document.querySelector('[data-nuisance="promo"]');
    if (promo && !sessionStorage.getItem('promo_closed')) {
      setTimeout(() => { promo.style.display = 'flex'; }, Number(promo.dataset.delay || 0));
      promo.querySelector('.pop-close-btn').addEventListener('click', () => {
        sessionStorage.setItem('promo_closed', '1');
        promo.remove();
      });
    }
    const chat = document.getElementById('J_xiaomi_dialog');
    if (chat) {
      chat.querySelector('img').addEventListener('click', (e) => {
        e.stopPropagation();
        chat.classList.add(C.folded);
      });
      chat.addEventListener('click', () => chat.classList.remove(C.folded));
    }
    const overlay = document.querySelector('[data-nuisance="overlay"]');
    if (overlay) setTimeout(() => overlay.remove(), Number(overlay.dataset.ms || 0));
  }

  // -- sign-in -------------------------------------------------------------------------------
  function showError(root, text) {
    const box = root.querySelector('.' + C['login-err']);
    box.textContent = text;
    box.style.display = text ? 'block' : 'none';
  }

  async function loginStep(root, step, body) {
    const data = await call('/passport/api/' + step, Object.assign({return_url: root.dataset.return}, body));
    if (data.error) { showError(root, data.error); return null; }
    showError(root, '');
    if (data.next) { window.location.href = data.next; return null; }
    return data;
  }

  function login() {
    const root = document.querySelector('[data-return]');
    const id = document.getElementById('fm-login-id');
    const pw = document.getElementById('fm-login-password');
    const cont = root.querySelector('button[aria-label]');
    const pwBlock = root.querySelector('.' + C.pw);
    const signIn = pwBlock.querySelector('button');
    cont.addEventListener('click', async () => {
      const data = await loginStep(root, 'identify', {loginId: id.value});
      if (data && data.step === 'password') {
        cont.style.display = 'none';
        pwBlock.style.display = 'block';
        pw.focus();
      }
    });
    signIn.addEventListener('click', async () => {
      const data = await loginStep(root, 'password', {password: pw.value});
      if (data === null) pw.value = '';
    });
    id.addEventListener('keydown', (e) => { if (e.key === 'Enter') cont.click(); });
    pw.addEventListener('keydown', (e) => { if (e.key === 'Enter') signIn.click(); });
  }

  function verify() {
    const root = document.querySelector('[data-return]');
    const inputs = Array.from(root.querySelectorAll('input[data-id]'));
    inputs.forEach((input, i) => {
      input.addEventListener('input', () => {
        const digits = input.value.replace(/\D/g, '');
        if (digits.length > 1) {
          digits.split('').slice(0, 6 - i).forEach((d, k) => { inputs[i + k].value = d; });
        } else {
          input.value = digits;
        }
        const next = inputs.find((x) => !x.value);
        if (digits && next) next.focus();
      });
    });
    root.querySelector('button').addEventListener('click', () => {
      loginStep(root, 'verify', {code: inputs.map((x) => x.value).join('')});
    });
  }

  // -- My Orders -----------------------------------------------------------------------------
  function orderCard(o, reload) {
    const card = el('div', 'order-item ' + C.card);
    card.dataset.pl = 'order_item';
    const head = el('div', 'order-item-header ' + C['card-head']);
    const status = el('span', 'order-item-header-status-text', o.statusText);
    status.dataset.pl = 'order_item_header_status';
    const date = el('div', C['card-meta'], T.order_date.replace('{date}', o.orderDateText));
    const idRow = el('div', C['card-meta']);
    const copy = el('button', C.copy, T.copy);
    copy.type = 'button';
    copy.addEventListener('click', () => {
      if (navigator.clipboard) navigator.clipboard.writeText(o.orderId).catch(() => {});
      toast(T.copied);
    });
    idRow.append(el('span', C['card-id'], T.order_id.replace('{id}', o.orderId)), copy);
    const details = el('a', C.details, T.order_details);
    details.href = o.detailUrl;
    details.dataset.pl = 'order_item_header_detail';
    head.append(status, date, idRow, details);
    const store = el('a', C.store, o.storeName);
    store.href = o.storeUrl;
    const lines = el('div', C.lines);
    for (const line of o.orderLines) {
      const row = el('div', C.line);
      const thumb = el('div', C.thumb);
      thumb.style.backgroundColor = line.color;
      const main = el('div', C['line-main']);
      const title = el('span', C.title, line.productTitle);
      title.title = line.productTitle;
      main.append(title);
      if (line.skuText) main.append(el('span', C.sku, line.skuText));
      row.append(thumb, main, chars(line.priceText, C.price), el('span', C.qty, line.quantityText));
      lines.append(row);
    }
    const foot = el('div', C.foot);
    const total = el('div', C.total);
    total.append(el('span', null, T.total), chars(o.totalPriceText, C.price));
    const btns = el('div', 'order-item-btns');
    for (const b of o.buttons) {
      const primary = b.type === 'PAY_ORDER' || b.type === 'CANCEL_ORDER';
      const button = el('button', 'comet-btn' + (primary ? ' comet-btn-primary' : ''));
      button.type = 'button';
      button.append(el('span', null, b.text));
      button.addEventListener('click', async () => {
        if (b.url) { window.location.href = b.url; return; }
        if (POSTS.includes(b.type)) {
          button.disabled = true;
          await operate(o.orderId, b.type);
          reload();
        }
      });
      btns.append(button);
    }
    foot.append(total, btns);
    card.append(head, store, lines, foot);
    return card;
  }

  function orders() {
    const root = document.querySelector('[data-listing]');
    const list = root.querySelector('.' + C.list);
    const spinner = root.querySelector('.' + C.spinner);
    const more = root.querySelector('.order-more');
    let tab = root.dataset.tab;
    const q = root.dataset.q;
    let page = 1;
    let loading = false;

    async function load() {
      if (loading) return;
      loading = true;
      more.style.display = 'none';
      spinner.style.display = 'block';
      await sleep(DRAW_DELAY_MS);
      try {
        const params = new URLSearchParams({tab, q, page: String(page), pageSize: '5'});
        const data = await call(LIST + '?' + params);
        const ids = data.hierarchy.structure[data.hierarchy.root];
        for (const key of ids) list.append(orderCard(data.data[key].fields, reload));
        if (data.global.total === 0) {
          list.append(el('div', C.empty, tab === 'deleted' ? T.no_deleted : T.no_orders));
        }
        more.style.display = data.global.hasMore ? 'block' : 'none';
        page += 1;
      } catch (e) {
        if (String(e.message) !== 'session expired') list.append(el('div', C.error, T.load_error));
      } finally {
        spinner.style.display = 'none';
        loading = false;
      }
    }
    function reload() {
      list.replaceChildren();
      page = 1;
      load();
    }
    more.querySelector('button').addEventListener('click', load);
    root.querySelectorAll('.comet-tabs-nav-item').forEach((item) => item.addEventListener('click', () => {
      root.querySelectorAll('.comet-tabs-nav-item').forEach((x) => x.classList.remove('comet-tabs-nav-item-active'));
      item.classList.add('comet-tabs-nav-item-active');
      tab = item.dataset.tab;
      const url = new URL(window.location.href);
      url.searchParams.set('tab', tab);
      history.replaceState(null, '', url);
      reload();
    }));
    const search = root.querySelector('.' + C['search-input']);
    if (search) {
      const go = () => {
        const url = new URL(window.location.href);
        url.searchParams.set('q', search.value);
        url.searchParams.set('tab', tab);
        window.location.href = url.toString();
      };
      root.querySelector('.' + C['search-btn']).addEventListener('click', go);
      search.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    }
    load();
  }

  // -- cancel modal --------------------------------------------------------------------------
  function openCancel(o, done) {
    const paid = o.cancel.paid;
    const backdrop = el('div', 'comet-modal-mask');
    const wrap = el('div', 'comet-modal-wrap');
    const modal = el('div', 'comet-modal comet-v2-modal');
    const close = el('img', C['modal-close']);
    close.alt = T.close;
    close.src = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='20' height='20'%3E%3Cpath d='M4 4l12 12M16 4L4 16' stroke='%23333' stroke-width='2'/%3E%3C/svg%3E";
    const body = el('div', C['modal-body']);
    modal.append(close, el('div', C['modal-title'], T.cancel_title), body);
    wrap.append(modal);
    if (M.fadeMs !== undefined) {
      // a slow fade with a zoom: the modal keeps moving (not "stable") until it is in
      backdrop.style.transition = wrap.style.transition = 'opacity ' + M.fadeMs + 'ms';
      modal.style.transition = 'transform ' + M.fadeMs + 'ms ease-out';
      modal.style.transform = 'translateY(60px) scale(.85)';
    }
    document.body.append(backdrop, wrap);
    void wrap.offsetWidth;
    requestAnimationFrame(() => {
      backdrop.classList.add(C.in);
      wrap.classList.add(C.in);
      if (M.fadeMs !== undefined) modal.style.transform = 'none';
    });
    mask(modal, MASK_MS);
    let menu = null;
    let reasonId = '';

    function closeMenu() { if (menu) { menu.remove(); menu = null; } }
    function shut() { closeMenu(); backdrop.remove(); wrap.remove(); }
    close.addEventListener('click', shut);

    async function submit(report) {
      mask(modal, 0);
      const extra = {reasonId};
      if (report) extra.report = report;
      await operate(o.orderId, 'CANCEL_ORDER', extra);
      shut();
      done();
    }

    function step(...nodes) {
      closeMenu();
      body.replaceChildren(...nodes);
      mask(modal, MASK_MS);
    }

    function choice() {
      const text = el('div', C['modal-text'], T.choice_text);
      const extend = el('div', C.choice);
      extend.append(el('div', C['choice-title'], T.extend), el('div', C['choice-desc'], T.extend_desc));
      const request = el('div', C.choice);
      request.append(el('div', C['choice-title'], T.request_cancel), el('div', C['choice-desc'], T.request_cancel_desc));
      extend.addEventListener('click', async () => {
        mask(modal, 0);
        await operate(o.orderId, 'EXTEND_PROCESSING');
        shut();
        done();
      });
      request.addEventListener('click', reason);
      step(text, extend, request);
    }

    function reason() {
      const picker = el('div', C.picker);
      const shown = el('span', C['picker-text'], T.select_here);
      picker.append(shown, el('i', C['picker-arrow']));
      picker.addEventListener('click', (e) => {
        e.stopPropagation();
        if (menu) { closeMenu(); return; }
        const r = picker.getBoundingClientRect();
        menu = el('div', 'comet-v2-menu');
        menu.style.left = (window.scrollX + r.left) + 'px';
        menu.style.top = (window.scrollY + r.bottom + 4) + 'px';
        menu.style.width = r.width + 'px';
        for (const item of o.cancel.reasons) {
          const option = el('div', 'comet-v2-menu-item', item.text);
          option.addEventListener('click', (ev) => {
            ev.stopPropagation();
            reasonId = item.id;
            shown.textContent = item.text;
            closeMenu();
          });
          menu.append(option);
        }
        menu.style.zIndex = '2000';
        document.body.append(menu);
      });
      const submitBtn = el('button', 'comet-btn comet-btn-primary', T.submit);
      submitBtn.type = 'button';
      submitBtn.addEventListener('click', () => (paid ? report() : submit(null)));
      const foot = el('div', C['modal-foot']);
      foot.append(submitBtn);
      step(el('div', C['modal-text'], T.reason_title), picker, foot);
    }

    function report() {
      const yes = el('button', 'comet-btn comet-btn-primary', T.yes);
      const no = el('button', 'comet-btn', T.no);
      yes.type = no.type = 'button';
      yes.addEventListener('click', () => submit('yes'));
      no.addEventListener('click', () => submit('no'));
      const foot = el('div', C['modal-foot']);
      foot.append(yes, no);
      step(el('div', C['modal-text'], T.report_question), foot);
    }

    document.addEventListener('click', (e) => { if (menu && !menu.contains(e.target)) closeMenu(); });
    if (paid) choice(); else reason();
  }

  // -- order detail --------------------------------------------------------------------------
  function detail() {
    const root = document.querySelector('[data-order-id]');
    const orderId = root.dataset.orderId;
    const params = new URLSearchParams(window.location.search);
    let tab = params.get('tab') === 'payment' ? 'payment' : 'order';
    let autoCancel = params.get('action') === 'cancel';

    function row(label, value) {
      const r = el('div', C.row);
      r.append(el('span', C['row-label'], label), el('span', C['row-value'], value));
      return r;
    }

    function draw(o) {
      const status = el('div', C.status);
      status.append(el('div', C['status-title'], o.statusText));
      if (o.rejectedNote) status.append(el('div', C.note, o.rejectedNote));
      status.append(el('div', C['status-hint'], o.statusHint));
      const actions = el('div', C.actions);
      for (const b of o.buttons) {
        const primary = b.type === 'PAY_ORDER' || b.type === 'CANCEL_ORDER';
        const button = el('button', 'comet-btn' + (primary ? ' comet-btn-primary' : ''));
        button.type = 'button';
        button.append(el('span', null, b.text));
        button.addEventListener('click', async () => {
          if (b.type === 'CANCEL_ORDER') { openCancel(o, load); return; }
          if (b.url) { window.location.href = b.url; return; }
          button.disabled = true;
          await operate(orderId, b.type);
          load();
        });
        actions.append(button);
      }
      status.append(actions);

      const tabs = el('div', 'comet-tabs-nav ' + C.dtabs);
      const panels = {};
      for (const [key, label] of [['order', T.tab_order], ['payment', T.tab_payment]]) {
        const item = el('div', 'comet-tabs-nav-item' + (key === tab ? ' comet-tabs-nav-item-active' : ''), label);
        item.addEventListener('click', () => {
          tab = key;
          tabs.querySelectorAll('.comet-tabs-nav-item').forEach((x) => x.classList.toggle('comet-tabs-nav-item-active', x === item));
          for (const [k, p] of Object.entries(panels)) p.style.display = k === key ? 'block' : 'none';
        });
        tabs.append(item);
      }

      const orderPanel = el('div', C.dpanel);
      const info = el('div', C.box);
      info.append(el('div', C['box-title'], T.order_info));
      for (const r of o.infoRows) info.append(row(r.label, r.value));
      const storeBox = el('div', C.box);
      const storeHead = el('div', C['store-head']);
      const store = el('a', C.store, o.storeName);
      store.href = o.storeUrl;
      const contact = el('a', 'comet-btn', T.btn_contact_seller);
      contact.href = o.messageUrl;
      storeHead.append(store, contact);
      storeBox.append(storeHead);
      for (const line of o.orderLines) {
        const r = el('div', C.line);
        const thumb = el('div', C.thumb);
        thumb.style.backgroundColor = line.color;
        const main = el('div', C['line-main']);
        const title = el('span', C.title, line.productTitle);
        title.title = line.productTitle;
        main.append(title);
        if (line.skuText) main.append(el('span', C.sku, line.skuText));
        if (line.freeReturn) main.append(el('span', C.tag, T.free_return_tag));
        r.append(thumb, main, chars(line.priceText, C.price), el('span', C.qty, line.quantityText));
        storeBox.append(r);
      }
      const prices = el('div', C['price-rows']);
      for (const p of o.priceRows) {
        const r = el('div', C['price-row'] + (p.total ? ' ' + C.total : ''));
        r.append(el('span', 'left-col', p.label), el('span', 'right-col', p.value));
        prices.append(r);
      }
      storeBox.append(prices);
      orderPanel.append(info, storeBox);

      const payPanel = el('div', C.dpanel);
      const pay = el('div', C.box);
      pay.append(el('div', C['box-title'], T.tab_payment));
      for (const line of o.payment) pay.append(el('div', null, line));
      const refund = el('div', C.box);
      refund.append(el('div', C['box-title'], T.refund_progress));
      if (o.refund) {
        const steps = el('div', C.steps);
        for (const s of o.refund.steps) {
          const st = el('div', C.step + (s.done ? ' ' + C.done : ''));
          st.append(el('div', C.dot), el('div', C['step-name'], s.name), el('div', C['step-state'], s.stateText));
          if (s.done) st.append(el('div', C['step-date'], s.dateText));
          steps.append(st);
        }
        refund.append(steps, el('div', null, o.refund.amountText));
        if (o.refund.couponText) refund.append(el('div', null, o.refund.couponText));
        refund.append(el('div', C.muted, T.refund_note));
      } else {
        refund.append(el('div', null, T.no_refund));
      }
      payPanel.append(pay, refund);
      panels.order = orderPanel;
      panels.payment = payPanel;
      for (const [k, p] of Object.entries(panels)) p.style.display = k === tab ? 'block' : 'none';
      const injected = o.injectedCard ? [orderCard(o.injectedCard, load)] : [];
      root.replaceChildren(...injected, status, tabs, orderPanel, payPanel);
      if (autoCancel && o.cancel) openCancel(o, load);
      autoCancel = false;
    }

    async function load() {
      const spinner = el('div', C.spinner);
      root.prepend(spinner);
      await sleep(DRAW_DELAY_MS);
      try {
        const data = await call(DETAIL + '?' + new URLSearchParams({orderId}));
        const key = Object.keys(data.data)[0];
        draw(data.data[key].fields);
      } catch (e) {
        spinner.remove();
        if (String(e.message) !== 'session expired') root.append(el('div', C.error, T.op_error));
      }
    }
    load();
  }

  // -- messages -------------------------------------------------------------------------------
  function messages() {
    const root = document.querySelector('[data-order-id]');
    const orderId = root.dataset.orderId;
    const thread = root.querySelector('.' + C.thread);
    const text = root.querySelector('textarea');
    const send = root.querySelector('.' + C.send);

    async function load() {
      await sleep(DRAW_DELAY_MS);
      try {
        const data = await call(THREAD + '?' + new URLSearchParams({orderId}));
        const items = data.messages.map((m) => {
          const item = el('div', C.msg + ' ' + (m.mine ? C['msg-me'] : C['msg-them']));
          item.append(el('div', C['msg-meta'], m.author + ' · ' + m.timeText), el('div', C['msg-text'], m.text));
          return item;
        });
        thread.replaceChildren(...(items.length ? items : [el('div', C.muted, T.no_messages)]));
      } catch (e) {
        if (String(e.message) !== 'session expired') thread.replaceChildren(el('div', C.error, T.op_error));
      }
    }
    send.addEventListener('click', async () => {
      try {
        const data = await call(SEND, {orderId, text: text.value});
        toast(data.message, !data.success);
        if (data.success) { text.value = ''; load(); }
      } catch (e) {
        toast(T.op_error, true);
      }
    });
    load();
  }

  nuisances();
  window.__MOCK_PAGE = {login, verify, orders, detail, messages};
})();
