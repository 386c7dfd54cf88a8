// Draws the order cards from /api/orders after the page has loaded (as the real portal does).
(function () {
  const root = document.querySelector('.orders-page');
  if (!root) return;
  const list = root.querySelector('.order-list');
  const spinner = root.querySelector('[data-testid="orders-loading"]');
  const more = root.querySelector('[data-action="more"]');
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const back = list.dataset.back;
  const status = root.dataset.status;
  const q = root.dataset.q;
  const POSTS = {'Pay now': 'pay', 'Confirm received': 'confirm', 'Add to cart': 'cart', 'Delete': 'delete'};
  let offset = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  function button(order, label) {
    const cls = label === 'Pay now' || label === 'Cancel order' ? 'btn btn-primary' : 'btn';
    if (POSTS[label]) {
      return el('form', {method: 'post', action: `/orders/${order.id}/${POSTS[label]}`, class: 'inline'},
        el('input', {type: 'hidden', name: 'csrf_token', value: csrf}),
        el('input', {type: 'hidden', name: 'back', value: back}),
        el('button', {type: 'submit', class: cls, text: label}));
    }
    const href = {
      'Cancel order': `${order.details_url}?cancel=1`,
      'Contact seller': order.message_url,
      'Track order': order.tracking_url,
      'Write a review': order.details_url,
    }[label] || order.details_url;
    return el('a', {role: 'button', class: cls, href: href, text: label});
  }

  function card(order) {
    const copy = el('button', {type: 'button', class: 'copy', text: 'Copy'});
    copy.addEventListener('click', () => {
      if (navigator.clipboard) navigator.clipboard.writeText(order.id).catch(() => {});
      window.siteToast && window.siteToast('Order ID copied');
    });
    const items = el('ul', {class: 'items'});
    for (const item of order.items) {
      items.append(el('li', {class: 'item'},
        el('span', {class: 'thumb', style: `background-color:${item.color}`, 'aria-hidden': 'true'}),
        el('div', {class: 'item-main'},
          el('span', {class: 'item-title', title: item.title, text: item.title}),
          item.options ? el('span', {class: 'item-options', text: item.options}) : null),
        el('span', {class: 'item-price', text: item.price}),
        el('span', {class: 'item-qty', text: item.qty})));
    }
    const actions = el('div', {class: 'card-actions'});
    for (const label of order.buttons) actions.append(button(order, label));
    return el('article', {class: 'order-card', 'aria-label': `Order ${order.id}`, 'data-order-id': order.id},
      el('div', {class: 'card-head'},
        el('span', {class: 'card-status', 'data-testid': 'order-status', text: order.status}),
        el('span', {class: 'card-meta', text: `Order date: ${order.date}`}),
        el('span', {class: 'card-meta'}, el('span', {text: `Order ID: ${order.id}`}), copy),
        el('a', {class: 'details-link', href: order.details_url, text: 'Order details'})),
      el('div', {class: 'card-store'}, el('a', {href: order.store_url, class: 'store-link', text: order.store})),
      items,
      el('div', {class: 'card-foot'},
        el('span', {class: 'card-total', text: `Total: ${order.total}`}), actions));
  }

  async function load() {
    more.hidden = true;
    const params = new URLSearchParams({status, q, offset: String(offset), limit: '10'});
    try {
      const res = await fetch(`/api/orders?${params}`, {credentials: 'same-origin'});
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const data = await res.json();
      if (spinner) spinner.remove();
      for (const order of data.orders) list.append(card(order));
      offset += data.orders.length;
      if (data.total === 0) list.append(el('p', {class: 'empty', text: status === 'deleted' ? 'No deleted orders.' : 'No orders found.'}));
      more.hidden = !data.has_more;
    } catch (err) {
      if (spinner) spinner.remove();
      list.append(el('p', {class: 'error', role: 'alert', text: 'Orders could not be loaded. Please refresh the page.'}));
    }
  }
  more.addEventListener('click', load);
  load();
})();
