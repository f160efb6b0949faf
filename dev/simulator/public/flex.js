// Renders LINE Flex messages (bubble, carousel) and template messages (buttons, confirm, carousel,
// image_carousel) into DOM nodes, close to how the LINE app draws them. Covers the common
// components: box, text, span, button, image, icon, separator, filler (video as a placeholder).
// Every tappable thing calls ctx.onAction(action); nothing here talks to the server.
//
//   import { renderFlex, renderTemplate } from './flex.js';
//   chat.append(renderFlex(message.contents, { onAction }));

const SPACING = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
const TEXT_SIZE = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, '3xl': 35, '4xl': 48, '5xl': 74 };
const IMAGE_SIZE = { xxs: 40, xs: 60, sm: 70, md: 80, lg: 90, xl: 100, xxl: 110, '3xl': 130, '4xl': 160, '5xl': 240 };
const BUBBLE_WIDTH = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 386 };
const BORDER_WIDTH = { none: 0, light: 0.5, normal: 1, medium: 2, 'semi-bold': 3, bold: 4 };
const RADIUS = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
const BLOCK_PADDING = { header: 20, hero: 0, body: 20, footer: 10 };

/** A keyword from `scale`, or a CSS length given as '12px' / '50%'. */
function len(value, scale) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return `${value}px`;
  if (scale && value in scale) return `${scale[value]}px`;
  if (/^-?\d+(\.\d+)?(px|%)$/.test(value)) return value;
  return undefined;
}

function el(tag, className, style) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (style) Object.assign(node.style, style);
  return node;
}

/** A label for a button from its action (LINE shows action.label). */
export function actionLabel(action) {
  return (action && (action.label ?? action.displayText ?? action.text)) || '';
}

function tappable(node, action, ctx) {
  if (!action) return;
  node.classList.add('tappable');
  node.dataset.action = action.type;
  if (action.label) node.dataset.label = action.label;
  node.addEventListener('click', (e) => {
    e.stopPropagation();
    ctx.onAction(action);
  });
}

/** An <img>; when it cannot load (no internet here), it hides and its frame shows a placeholder. */
function image(url, className, markFrame = true) {
  const img = el('img', className);
  img.alt = '';
  img.loading = 'lazy';
  img.referrerPolicy = 'no-referrer';
  img.addEventListener('error', () => {
    img.classList.add('broken');
    if (markFrame) img.parentElement?.classList.add('broken');
  });
  if (typeof url === 'string') img.src = url;
  return img;
}

function aspect(ratio, fallback = '1:1') {
  const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(ratio ?? fallback) ?? /^(\d+):(\d+)$/.exec(fallback);
  return `${m[1]} / ${m[2]}`;
}

// ---------------------------------------------------------------------------------- Flex

/** A Flex message's `contents`: a bubble or a carousel. */
export function renderFlex(contents, ctx) {
  if (contents?.type === 'carousel') {
    const wrap = el('div', 'flex-carousel');
    wrap.dataset.testid = 'flex-carousel';
    for (const bubble of contents.contents ?? []) wrap.append(renderBubble(bubble, ctx));
    return wrap;
  }
  return renderBubble(contents ?? {}, ctx);
}

function renderBubble(bubble, ctx) {
  const node = el('div', 'flex-bubble');
  node.dataset.testid = 'flex-bubble';
  const width = BUBBLE_WIDTH[bubble.size ?? 'mega'] ?? 300;
  node.style.width = `${width}px`;
  if (bubble.direction === 'rtl') node.dir = 'rtl';
  const styles = bubble.styles ?? {};
  let first = true;
  for (const name of ['header', 'hero', 'body', 'footer']) {
    const part = bubble[name];
    if (!part) continue;
    const st = styles[name] ?? {};
    const block = el('div', `flex-block flex-${name}`);
    if (st.backgroundColor) block.style.backgroundColor = st.backgroundColor;
    if (st.separator && !first) {
      block.classList.add('separator-above');
      if (st.separatorColor) block.style.borderTopColor = st.separatorColor;
    }
    const child = renderComponent(part, ctx, { parentLayout: 'vertical', block: name });
    if (part.type === 'box') {
      // header/body/footer boxes get LINE's default paddings unless they set their own.
      const pad = BLOCK_PADDING[name];
      if (part.paddingAll === undefined) child.style.padding = `${pad}px`;
      if (name === 'body' && bubble.footer && part.paddingBottom === undefined && part.paddingAll === undefined) child.style.paddingBottom = '10px';
      child.style.flex = '1 1 auto';
    }
    block.append(child);
    node.append(block);
    first = false;
  }
  if (bubble.action) tappable(node, bubble.action, ctx);
  return node;
}

/** Applies a child's flex/margin inside its parent box (LINE: horizontal children default to flex 1). */
function placeInParent(node, c, info, index) {
  const horizontal = info.parentLayout === 'horizontal' || info.parentLayout === 'baseline';
  const defaultFlex = horizontal && c.type !== 'icon' && c.type !== 'separator' ? 1 : 0;
  const flex = typeof c.flex === 'number' ? c.flex : defaultFlex;
  if (c.type !== 'separator' && c.type !== 'filler') {
    node.style.flex = flex > 0 ? `${flex} 1 0` : '0 0 auto';
  }
  if (c.type === 'filler') node.style.flex = `${typeof c.flex === 'number' ? c.flex : 1} 1 0`;
  const gap = c.margin !== undefined ? len(c.margin, SPACING) : index > 0 ? info.spacing : undefined;
  if (gap && index >= 0) {
    if (horizontal) node.style.marginInlineStart = gap;
    else node.style.marginTop = gap;
  }
  if (c.position === 'absolute') {
    node.style.position = 'absolute';
    if (c.offsetTop !== undefined) node.style.top = len(c.offsetTop, SPACING);
    if (c.offsetBottom !== undefined) node.style.bottom = len(c.offsetBottom, SPACING);
    if (c.offsetStart !== undefined) node.style.insetInlineStart = len(c.offsetStart, SPACING);
    if (c.offsetEnd !== undefined) node.style.insetInlineEnd = len(c.offsetEnd, SPACING);
  } else if (c.position === 'relative' || c.offsetTop !== undefined || c.offsetStart !== undefined) {
    node.style.position = 'relative';
    if (c.offsetTop !== undefined) node.style.top = len(c.offsetTop, SPACING);
    if (c.offsetBottom !== undefined) node.style.bottom = len(c.offsetBottom, SPACING);
    if (c.offsetStart !== undefined) node.style.insetInlineStart = len(c.offsetStart, SPACING);
    if (c.offsetEnd !== undefined) node.style.insetInlineEnd = len(c.offsetEnd, SPACING);
  }
  if (c.gravity && horizontal) {
    node.style.alignSelf = { top: 'flex-start', center: 'center', bottom: 'flex-end' }[c.gravity] ?? '';
  }
}

function renderComponent(c, ctx, info, index = -1) {
  let node;
  switch (c?.type) {
    case 'box':
      node = renderBox(c, ctx);
      break;
    case 'text':
      node = renderText(c, ctx);
      break;
    case 'button':
      node = renderButton(c, ctx);
      break;
    case 'image':
      node = renderImage(c, ctx);
      break;
    case 'icon':
      node = renderIcon(c);
      break;
    case 'separator':
      node = el('div', 'flex-separator');
      if (info.parentLayout === 'vertical') node.style.borderTop = `1px solid ${c.color ?? '#d4d6da'}`;
      else node.style.borderLeft = `1px solid ${c.color ?? '#d4d6da'}`;
      break;
    case 'filler':
    case 'spacer':
      node = el('div', 'flex-filler');
      if (c.type === 'spacer') node.style.flex = `0 0 ${len(c.size ?? 'md', SPACING)}`;
      break;
    case 'video':
      node = el('div', 'flex-video');
      node.textContent = '▶';
      node.title = 'video';
      if (c.aspectRatio) node.style.aspectRatio = aspect(c.aspectRatio);
      break;
    default:
      node = el('div', 'flex-unknown');
      node.textContent = `[${c?.type ?? '?'}]`;
  }
  if (index >= 0) placeInParent(node, c, info, index);
  return node;
}

function renderBox(box, ctx) {
  const layout = box.layout ?? 'vertical';
  const node = el('div', `flex-box ${layout}`);
  const s = node.style;
  if (box.backgroundColor) s.backgroundColor = box.backgroundColor;
  if (box.background?.type === 'linearGradient') {
    const b = box.background;
    const stops = [b.startColor, ...(b.centerColor ? [`${b.centerColor} ${b.centerPosition ?? '50%'}`] : []), b.endColor];
    s.backgroundImage = `linear-gradient(${b.angle ?? '0deg'}, ${stops.join(', ')})`;
  }
  if (box.borderColor) s.borderColor = box.borderColor;
  const bw = len(box.borderWidth, BORDER_WIDTH);
  if (bw) {
    s.borderStyle = 'solid';
    s.borderWidth = bw;
  } else if (box.borderColor) {
    s.borderStyle = 'solid';
    s.borderWidth = '1px';
  }
  const radius = len(box.cornerRadius, RADIUS);
  if (radius) {
    s.borderRadius = radius;
    s.overflow = 'hidden';
  }
  const pad = (v) => len(v, SPACING);
  if (box.paddingAll !== undefined) s.padding = pad(box.paddingAll) ?? '';
  if (box.paddingTop !== undefined) s.paddingTop = pad(box.paddingTop) ?? '';
  if (box.paddingBottom !== undefined) s.paddingBottom = pad(box.paddingBottom) ?? '';
  if (box.paddingStart !== undefined) s.paddingInlineStart = pad(box.paddingStart) ?? '';
  if (box.paddingEnd !== undefined) s.paddingInlineEnd = pad(box.paddingEnd) ?? '';
  if (box.width) s.width = len(box.width) ?? '';
  if (box.maxWidth) s.maxWidth = len(box.maxWidth) ?? '';
  if (box.height) s.height = len(box.height) ?? '';
  if (box.maxHeight) s.maxHeight = len(box.maxHeight) ?? '';
  if (box.justifyContent) s.justifyContent = box.justifyContent;
  if (box.alignItems) s.alignItems = box.alignItems;
  const spacing = len(box.spacing, SPACING);
  const info = { parentLayout: layout, spacing };
  (box.contents ?? []).forEach((child, i) => node.append(renderComponent(child, ctx, info, i)));
  if (box.action) tappable(node, box.action, ctx);
  return node;
}

function applyTextStyle(node, t) {
  const size = len(t.size, TEXT_SIZE);
  if (size) node.style.fontSize = size;
  if (t.weight === 'bold') node.style.fontWeight = '700';
  if (t.color) node.style.color = t.color;
  if (t.style === 'italic') node.style.fontStyle = 'italic';
  if (t.decoration === 'underline') node.style.textDecoration = 'underline';
  if (t.decoration === 'line-through') node.style.textDecoration = 'line-through';
}

function renderText(t, ctx) {
  const wrap = t.wrap === true;
  const node = el('div', `flex-text ${wrap ? 'wrap' : 'nowrap'}`);
  node.dataset.testid = 'flex-text';
  applyTextStyle(node, t);
  if (!t.size) node.style.fontSize = '16px';
  if (t.align) node.style.textAlign = t.align === 'end' ? 'end' : t.align === 'center' ? 'center' : 'start';
  if (t.lineSpacing) node.style.lineHeight = `calc(1.4em + ${len(t.lineSpacing) ?? '0px'})`;
  if (wrap && typeof t.maxLines === 'number' && t.maxLines > 0) {
    node.classList.add('clamp');
    node.style.webkitLineClamp = String(t.maxLines);
  }
  if (Array.isArray(t.contents) && t.contents.length > 0) {
    for (const span of t.contents) {
      if (span?.type !== 'span') continue;
      const s = el('span');
      s.textContent = span.text ?? '';
      applyTextStyle(s, span);
      node.append(s);
    }
  } else {
    node.textContent = t.text ?? '';
  }
  if (t.action) tappable(node, t.action, ctx);
  return node;
}

function renderButton(b, ctx) {
  const style = b.style ?? 'link';
  const node = el('button', `flex-button ${style}`);
  node.type = 'button';
  node.dataset.testid = 'flex-button';
  node.style.height = b.height === 'sm' ? '40px' : '52px';
  if (b.height === 'sm') node.style.fontSize = '15px';
  if (b.color) {
    if (style === 'link') node.style.color = b.color;
    else node.style.backgroundColor = b.color;
  }
  if (b.gravity) node.style.alignSelf = { top: 'flex-start', center: 'center', bottom: 'flex-end' }[b.gravity] ?? '';
  const label = el('span');
  label.textContent = actionLabel(b.action);
  node.append(label);
  if (b.action) {
    node.dataset.action = b.action.type;
    node.dataset.label = actionLabel(b.action);
    node.addEventListener('click', (e) => {
      e.stopPropagation();
      ctx.onAction(b.action);
    });
  }
  return node;
}

function renderImage(img, ctx) {
  const node = el('div', 'flex-image');
  const frame = el('div', 'frame');
  const size = img.size ?? 'md';
  frame.style.width = size === 'full' ? '100%' : (len(size, IMAGE_SIZE) ?? '80px');
  frame.style.aspectRatio = aspect(img.aspectRatio);
  if (img.backgroundColor) frame.style.backgroundColor = img.backgroundColor;
  const pic = image(img.url, '');
  pic.style.objectFit = img.aspectMode === 'cover' ? 'cover' : 'contain';
  frame.append(pic);
  node.style.justifyContent = { start: 'flex-start', end: 'flex-end' }[img.align] ?? 'center';
  node.append(frame);
  if (img.action) tappable(node, img.action, ctx);
  return node;
}

function renderIcon(icon) {
  const size = len(icon.size ?? 'md', TEXT_SIZE) ?? '16px';
  const node = image(icon.url, 'flex-icon', false);
  node.style.height = size;
  const [w, h] = (icon.aspectRatio ?? '1:1').split(':').map(Number);
  node.style.width = `calc(${size} * ${(w || 1) / (h || 1)})`;
  return node;
}

// ---------------------------------------------------------------------------------- templates

/** A template message's `template`: buttons, confirm, carousel or image_carousel. */
export function renderTemplate(t, ctx) {
  switch (t?.type) {
    case 'buttons':
      return templateCard(t, ctx, 'buttons', t.imageAspectRatio, t.imageSize, t.imageBackgroundColor);
    case 'confirm':
      return templateCard(t, ctx, 'confirm');
    case 'carousel': {
      const wrap = el('div', 'flex-carousel');
      wrap.dataset.testid = 'template-carousel';
      for (const col of t.columns ?? []) wrap.append(templateCard(col, ctx, 'buttons', t.imageAspectRatio, t.imageSize, col.imageBackgroundColor));
      return wrap;
    }
    case 'image_carousel': {
      const wrap = el('div', 'flex-carousel');
      wrap.dataset.testid = 'template-image-carousel';
      for (const col of t.columns ?? []) {
        const tile = el('button', 'tpl-image');
        tile.type = 'button';
        tile.append(image(col.imageUrl));
        if (col.action) {
          const label = el('span');
          label.textContent = actionLabel(col.action);
          tile.append(label);
          tile.dataset.action = col.action.type;
          tile.dataset.label = actionLabel(col.action);
          tile.addEventListener('click', () => ctx.onAction(col.action));
        }
        wrap.append(tile);
      }
      return wrap;
    }
    default: {
      const node = el('div', 'placeholder');
      node.textContent = `[template ${t?.type ?? '?'}]`;
      return node;
    }
  }
}

function templateCard(t, ctx, kind, ratio, imageSize, bg) {
  const card = el('div', `tpl ${kind}`);
  card.dataset.testid = `template-${kind}`;
  if (t.thumbnailImageUrl) {
    const thumb = el('div', 'thumb');
    thumb.style.aspectRatio = ratio === 'square' ? '1 / 1' : '1.51 / 1';
    if (bg) thumb.style.backgroundColor = bg;
    const pic = image(t.thumbnailImageUrl);
    if (imageSize === 'contain') pic.style.objectFit = 'contain';
    thumb.append(pic);
    card.append(thumb);
  }
  const body = el('div', 'body');
  if (t.title) {
    const title = el('div', 'title');
    title.textContent = t.title;
    body.append(title);
  }
  const text = el('div', 'text');
  text.textContent = t.text ?? '';
  body.append(text);
  card.append(body);
  const actions = el('div', 'actions');
  for (const action of t.actions ?? []) {
    const b = el('button');
    b.type = 'button';
    b.textContent = actionLabel(action);
    b.dataset.testid = 'template-button';
    b.dataset.action = action.type;
    b.dataset.label = actionLabel(action);
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      ctx.onAction(action);
    });
    actions.append(b);
  }
  card.append(actions);
  if (t.defaultAction) tappable(body, t.defaultAction, ctx);
  return card;
}
