// BlurHash (https://blurha.sh): a photo's colours as a few cosine components in ~28
// characters. Decoded here to a handful of pixels that the browser stretches into a soft
// placeholder while the real image loads. (The server's encoder is media/image.py.)

const DIGITS =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

function base83(text) {
  let value = 0;
  for (const char of text) {
    const digit = DIGITS.indexOf(char);
    if (digit < 0) throw new Error("not a BlurHash");
    value = value * 83 + digit;
  }
  return value;
}

function toLinear(value) {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function toSrgb(value) {
  const v = Math.min(1, Math.max(0, value));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
}

// The encoder stored each AC component as the square root of its size (9 steps a side).
const unquantise = (q, maximum) => Math.sign(q - 9) * ((q - 9) / 9) ** 2 * maximum;

/** RGBA pixels (width × height) of `hash`; throws on a malformed hash. */
export function decode(hash, width, height) {
  const size = base83(hash[0]);
  const nx = (size % 9) + 1;
  const ny = Math.floor(size / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error("not a BlurHash");
  const maximum = (base83(hash[1]) + 1) / 166;
  const dc = base83(hash.slice(2, 6));
  const colours = [[dc >> 16, (dc >> 8) & 255, dc & 255].map(toLinear)];
  for (let i = 1; i < nx * ny; i += 1) {
    const ac = base83(hash.slice(4 + 2 * i, 6 + 2 * i));
    const q = [Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19];
    colours.push(q.map((v) => unquantise(v, maximum)));
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const rgb = [0, 0, 0];
      for (let j = 0; j < ny; j += 1) {
        const cosY = Math.cos((Math.PI * y * j) / height);
        for (let i = 0; i < nx; i += 1) {
          const basis = Math.cos((Math.PI * x * i) / width) * cosY;
          const colour = colours[i + j * nx];
          for (let c = 0; c < 3; c += 1) rgb[c] += colour[c] * basis;
        }
      }
      const p = 4 * (x + y * width);
      pixels.set([toSrgb(rgb[0]), toSrgb(rgb[1]), toSrgb(rgb[2]), 255], p);
    }
  }
  return pixels;
}

const LONG_SIDE = 32; // px: the hash holds no more detail than this

/**
 * A tiny canvas painted with the placeholder, in the photo's proportions (CSS stretches
 * it). Null without a hash, or with one this decoder cannot read.
 */
export function placeholderCanvas(hash, photoWidth, photoHeight) {
  if (!hash) return null;
  const landscape = photoWidth >= photoHeight;
  const ratio = photoWidth && photoHeight ? photoHeight / photoWidth : 1;
  const width = landscape ? LONG_SIDE : Math.max(1, Math.round(LONG_SIDE / ratio));
  const height = landscape ? Math.max(1, Math.round(LONG_SIDE * ratio)) : LONG_SIDE;
  let pixels;
  try {
    pixels = decode(hash, width, height);
  } catch {
    return null;
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.setAttribute("aria-hidden", "true");
  canvas.className = "placeholder";
  canvas.getContext("2d").putImageData(new ImageData(pixels, width, height), 0, 0);
  return canvas;
}
