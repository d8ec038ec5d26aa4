// "1 node", "2 nodes": counts in messages agree with their nouns.

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}
