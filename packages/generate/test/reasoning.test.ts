import { describe, expect, it } from 'vitest';
import { endsInsideReasoning, ReasoningSplitter, type ChatChunk } from '../src/index.js';

function split(deltas: string[], startInReasoning = false): { reasoning: string; content: string; chunks: ChatChunk[] } {
  const s = new ReasoningSplitter({ startInReasoning });
  const chunks = [...deltas.flatMap((d) => s.push(d)), ...s.flush()];
  const join = (t: string) => chunks.filter((c) => c.type === t).map((c) => c.text).join('');
  return { reasoning: join('reasoning'), content: join('content'), chunks };
}

describe('ReasoningSplitter', () => {
  const whole = '<think>\nFirst, 2+2.\nIt is 4.\n\n</think>\n\nThe answer is 4.\n';

  it('splits at the tags and trims newlines as the Qwen3 template does (reasoning: both ends; content: leading)', () => {
    expect(split([whole])).toMatchObject({ reasoning: 'First, 2+2.\nIt is 4.', content: 'The answer is 4.\n' });
  });

  it('gives the same split however the text is cut into deltas, one character at a time included', () => {
    expect(split([...whole])).toMatchObject({ reasoning: 'First, 2+2.\nIt is 4.', content: 'The answer is 4.\n' });
    expect(split(['<th', 'ink>', '\nFirst, 2+2.\n', 'It is 4.\n\n</', 'think>\n', '\nThe answer is 4.\n'])).toMatchObject({
      reasoning: 'First, 2+2.\nIt is 4.',
      content: 'The answer is 4.\n',
    });
  });

  it('holds newlines inside reasoning until it knows they are not trailing', () => {
    const { chunks } = split(['<think>a\n', '\n', 'b\n', '</think>c']);
    expect(chunks).toEqual([
      { type: 'reasoning', text: 'a' },
      { type: 'reasoning', text: '\n\nb' },
      { type: 'content', text: 'c' },
    ]);
  });

  it('text without tags is all content, untouched', () => {
    expect(split(['\nplain ', 'answer <thin', 'king> no'])).toMatchObject({ reasoning: '', content: '\nplain answer <thinking> no' });
  });

  it('a partial tag at the end is released as text; an unclosed reasoning block stays reasoning', () => {
    expect(split(['answer </thi'])).toMatchObject({ content: 'answer </thi' });
    expect(split(['<think>\nstill going\n'])).toMatchObject({ reasoning: 'still going', content: '' });
  });

  it('can start inside reasoning', () => {
    expect(split(['\nthinking\n</think>\n\nanswer'], true)).toMatchObject({ reasoning: 'thinking', content: 'answer' });
  });

  it('endsInsideReasoning tells an open <think> at the end of a prompt from a closed one', () => {
    expect(endsInsideReasoning('<|im_start|>assistant\n<think>\n')).toBe(true);
    expect(endsInsideReasoning('<|im_start|>assistant\n<think>\n\n</think>\n\n')).toBe(false);
    expect(endsInsideReasoning('<|im_start|>assistant\n')).toBe(false);
  });
});
