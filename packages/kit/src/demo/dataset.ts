import { createHash } from 'node:crypto';
import { defined } from '../defined.js';

/**
 * The embedded demo data set, generated deterministically so that every subgraph seeds its own slice and
 * the slices agree on ids (products in inventory and reviews, users in reviews, vendors in catalog).
 * Production mode never seeds it.
 */
export const DEMO_PASSWORD = 'demo-password';

export interface DemoVendor {
  id: string;
  name: string;
  slug: string;
  description: string;
}
export interface DemoUser {
  id: string;
  email: string;
  name: string;
  role: 'customer' | 'vendor_staff' | 'admin';
  vendorId?: string;
}
export interface DemoCategory {
  id: string;
  name: string;
  slug: string;
}
export interface DemoProduct {
  id: string;
  vendorId: string;
  categoryId: string;
  name: string;
  description: string;
  priceAmount: string;
  currencyCode: string;
  createdAt: Date;
}
export interface DemoWarehouse {
  id: string;
  code: string;
  name: string;
  city: string;
}
export interface DemoStock {
  productId: string;
  warehouseId: string;
  vendorId: string;
  onHand: number;
}
export interface DemoReview {
  id: string;
  productId: string;
  authorId: string;
  rating: number;
  body: string;
  createdAt: Date;
}

export interface DemoData {
  vendors: DemoVendor[];
  users: DemoUser[];
  categories: DemoCategory[];
  products: DemoProduct[];
  warehouses: DemoWarehouse[];
  stock: DemoStock[];
  reviews: DemoReview[];
}

/** A stable UUID (version 5 layout) from a label, so ids are the same on every machine and every run. */
export function stableId(label: string): string {
  const hex = createHash('sha1').update(`commerce-demo:${label}`).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CATEGORY_ITEMS: Record<string, { nouns: string[]; blurb: string }> = {
  Outdoor: {
    nouns: [
      'Tent',
      'Backpack',
      'Sleeping Bag',
      'Headlamp',
      'Trekking Poles',
      'Water Filter',
      'Camp Stove',
      'Hammock',
      'Rain Jacket',
      'Compass',
    ],
    blurb: 'Built for long days on the trail and cold nights at camp.',
  },
  Kitchen: {
    nouns: [
      'Chef Knife',
      'Cast Iron Pan',
      'Espresso Grinder',
      'Cutting Board',
      'Dutch Oven',
      'Kettle',
      'Mixing Bowls',
      'Salad Spinner',
      'Pepper Mill',
      'Baking Sheet',
    ],
    blurb: 'Made for cooks who use their tools every single day.',
  },
  Electronics: {
    nouns: [
      'Headphones',
      'Bluetooth Speaker',
      'USB-C Charger',
      'E-Reader',
      'Webcam',
      'Mechanical Keyboard',
      'Power Bank',
      'Smart Plug',
      'Desk Lamp',
      'Action Camera',
    ],
    blurb: 'Reliable hardware with a two-year warranty.',
  },
  Books: {
    nouns: [
      'Field Guide',
      'Cookbook',
      'Atlas',
      'Novel',
      'Sketchbook',
      'Travel Journal',
      'Poetry Collection',
      'History Reader',
      'Puzzle Book',
      'Photo Book',
    ],
    blurb: 'Printed on recycled paper and bound to last.',
  },
  Apparel: {
    nouns: [
      'Wool Sweater',
      'Denim Jacket',
      'Running Shoes',
      'Linen Shirt',
      'Beanie',
      'Hiking Socks',
      'Chinos',
      'Fleece Vest',
      'Scarf',
      'Sun Hat',
    ],
    blurb: 'Responsibly sourced fabrics, cut for comfort.',
  },
  Garden: {
    nouns: [
      'Pruning Shears',
      'Watering Can',
      'Raised Bed',
      'Compost Bin',
      'Garden Gloves',
      'Seed Starter Kit',
      'Hose Reel',
      'Trowel',
      'Bird Feeder',
      'Planter',
    ],
    blurb: 'Tough enough for every season in the garden.',
  },
};
const ADJECTIVES = ['Alpine', 'Classic', 'Everyday', 'Pro', 'Compact', 'Heritage', 'Urban', 'Summit', 'Coastal', 'Nordic'];
const REVIEW_BODIES: Record<number, string[]> = {
  5: ['Exactly what I hoped for. Would buy again.', 'Superb quality, arrived quickly.', 'Best purchase this year.'],
  4: ['Very good, one small quibble with the packaging.', 'Solid and well made.', 'Does the job nicely.'],
  3: ['Fine for the price.', 'Average. Does what it says.', 'Okay, but I expected a bit more.'],
  2: ['Not great, the finish wore off quickly.', 'Smaller than the photos suggest.'],
  1: ['Broke after a week.', 'Would not recommend.'],
};

export function demoData(): DemoData {
  const rand = random(20261122);
  const pick = <T>(items: readonly T[]): T => defined(items[Math.floor(rand() * items.length)], 'a picked item');
  const vendors: DemoVendor[] = [
    {
      id: stableId('vendor:1'),
      name: 'Northwind Outfitters',
      slug: 'northwind',
      description: 'Outdoor gear, books and garden tools since 1998.',
    },
    {
      id: stableId('vendor:2'),
      name: 'Contoso Home',
      slug: 'contoso-home',
      description: 'Kitchen, electronics and apparel for the modern home.',
    },
  ];
  const users: DemoUser[] = [
    { id: stableId('user:admin'), email: 'admin@demo.shop', name: 'Ada Admin', role: 'admin' },
    {
      id: stableId('user:vendor1'),
      email: 'vendor1@demo.shop',
      name: 'Nora Northwind',
      role: 'vendor_staff',
      vendorId: defined(vendors[0], 'vendor 1').id,
    },
    {
      id: stableId('user:vendor2'),
      email: 'vendor2@demo.shop',
      name: 'Colin Contoso',
      role: 'vendor_staff',
      vendorId: defined(vendors[1], 'vendor 2').id,
    },
  ];
  const firstNames = [
    'Alice',
    'Bruno',
    'Chen',
    'Dara',
    'Elif',
    'Femi',
    'Greta',
    'Hiro',
    'Ines',
    'Jonas',
    'Kemi',
    'Luca',
    'Maya',
    'Nils',
    'Olga',
    'Priya',
    'Quinn',
    'Rosa',
    'Sami',
    'Tomas',
  ];
  for (let i = 1; i <= 20; i += 1) {
    users.push({
      id: stableId(`user:customer${i}`),
      email: `customer${i}@demo.shop`,
      name: `${firstNames[i - 1]} Customer`,
      role: 'customer',
    });
  }
  const categoryNames = Object.keys(CATEGORY_ITEMS);
  const categories = categoryNames.map((name) => ({ id: stableId(`category:${name}`), name, slug: name.toLowerCase() }));
  const products: DemoProduct[] = [];
  const start = Date.UTC(2026, 0, 1);
  categories.forEach((category, categoryIndex) => {
    const { nouns, blurb } = defined(CATEGORY_ITEMS[category.name], `items of ${category.name}`);
    const vendor = defined(vendors[[0, 3, 5].includes(categoryIndex) ? 0 : 1], 'the vendor');
    nouns.forEach((noun, index) => {
      const adjective = defined(ADJECTIVES[(index + categoryIndex) % ADJECTIVES.length], 'an adjective');
      const cents = 499 + Math.floor(rand() * 24_000);
      products.push({
        id: stableId(`product:${category.slug}:${index}`),
        vendorId: vendor.id,
        categoryId: category.id,
        name: `${adjective} ${noun}`,
        description: `The ${adjective.toLowerCase()} ${noun.toLowerCase()} from ${vendor.name}. ${blurb}`,
        priceAmount: (cents / 100).toFixed(2),
        currencyCode: 'EUR',
        createdAt: new Date(start + (categoryIndex * 10 + index) * 3_600_000),
      });
    });
  });
  const warehouses: DemoWarehouse[] = [
    { id: stableId('warehouse:ams'), code: 'AMS-1', name: 'Amsterdam Fulfilment', city: 'Amsterdam' },
    { id: stableId('warehouse:ber'), code: 'BER-1', name: 'Berlin Fulfilment', city: 'Berlin' },
    { id: stableId('warehouse:lyo'), code: 'LYO-1', name: 'Lyon Fulfilment', city: 'Lyon' },
  ];
  const stock: DemoStock[] = [];
  products.forEach((product, index) => {
    warehouses.forEach((warehouse, w) => {
      if ((index + w) % 3 === 2) return;
      // every 12th product is sold out everywhere, so the demo shows inStock: false
      const onHand = index % 12 === 5 ? 0 : Math.floor(rand() * 120);
      stock.push({ productId: product.id, warehouseId: warehouse.id, vendorId: product.vendorId, onHand });
    });
  });
  const customers = users.filter((user) => user.role === 'customer');
  const reviews: DemoReview[] = [];
  customers.forEach((customer, c) => {
    for (let k = 0; k < 10; k += 1) {
      const product = defined(products[(c * 7 + k * 13) % products.length], 'a product');
      const rating = pick([5, 5, 5, 4, 4, 4, 3, 3, 2, 1]);
      reviews.push({
        id: stableId(`review:${customer.id}:${product.id}`),
        productId: product.id,
        authorId: customer.id,
        rating,
        body: pick(defined(REVIEW_BODIES[rating], `review bodies of rating ${rating}`)),
        createdAt: new Date(start + 90 * 86_400_000 + (c * 10 + k) * 1_800_000),
      });
    }
  });
  return { vendors, users, categories, products, warehouses, stock, reviews };
}
