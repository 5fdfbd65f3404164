/** Discord components as Discord takes them: action buttons carry a custom_id, link buttons a url and style 5. */
import { describe, expect, it } from 'vitest';
import { actionRows } from './render.js';

describe('buttons', () => {
  it('a link button opens its page (style 5, url, no custom_id); action buttons keep their ids', () => {
    expect(
      actionRows([
        [
          { label: 'Pay 20.00 USD by card', url: 'https://checkout.stripe.com/c/pay/cs_1' },
          { label: 'Cancel', actionId: 'a1' },
        ],
      ]),
    ).toEqual([
      {
        type: 1,
        components: [
          { type: 2, style: 5, label: 'Pay 20.00 USD by card', url: 'https://checkout.stripe.com/c/pay/cs_1' },
          { type: 2, style: 2, label: 'Cancel', custom_id: 'a1' },
        ],
      },
    ]);
  });
});
