// A waiting state that times out: after `delay` of no touch it shows a warning
// (tag `timeout_warning`); a touch extends, silence for `warning` more leaves
// for `expire` (an absolute `#id` target). Spread into a state config:
//   waitingForCard: { ...timed('#resident.idle'), on: { ... } }
// The state's own `on` handlers stay on the parent, so they work in both
// sub-states; a touch while active restarts the clock.

export function timed<const Expire extends `#${string}`, const Delay extends string = 'idle'>(
  expire: Expire,
  delay: Delay = 'idle' as Delay,
) {
  const activeAfter = { [delay]: 'warning' } as Record<Delay, 'warning'>;
  return {
    initial: 'active',
    states: {
      active: {
        after: activeAfter,
        on: { TOUCH: { target: 'active', reenter: true } },
      },
      warning: {
        tags: ['timeout_warning'],
        after: { warning: expire },
        on: { TOUCH: 'active' },
      },
    },
  } as const;
}
