import { createSubscribeBudget, DISCONNECT_AT_BUDGETS } from './subscribe-budget';

describe('createSubscribeBudget', () => {
  const limit = { perWindow: 3, windowMs: 10_000 };

  it('allows the budget per window, refuses beyond it, and asks to disconnect at three budgets', () => {
    let nowMs = 1_000;
    const take = createSubscribeBudget(limit, () => nowMs);
    const answers = Array.from({ length: limit.perWindow * DISCONNECT_AT_BUDGETS }, () => take());
    expect(answers).toEqual(['allowed', 'allowed', 'allowed', 'refused', 'refused', 'refused', 'refused', 'refused', 'disconnect']);
    nowMs += limit.windowMs;
    expect(take()).toBe('allowed');
  });

  it('starts a fresh budget once a window has passed, not before', () => {
    let nowMs = 0;
    const take = createSubscribeBudget(limit, () => nowMs);
    for (let i = 0; i < limit.perWindow; i += 1) take();
    nowMs = limit.windowMs - 1;
    expect(take()).toBe('refused');
    nowMs = limit.windowMs;
    expect(take()).toBe('allowed');
  });
});
