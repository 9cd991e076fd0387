import type { Fixture } from './fixture.js';
import type { ChatTokenizer } from './model.js';
import { failedCheck, idsCheck, textCheck } from './exact.js';
import type { Check } from './report.js';

/**
 * e2e-chat: the chat template and the tokenizer must give transformers' prompt (rendered with
 * add_generation_prompt, encoded without added special tokens, as reference/make_e2e_chat.py does).
 * A tokenizer that throws fails the check; the model is then run on the reference prompt_ids.
 */
export async function promptChecks(fx: Fixture, tok: ChatTokenizer): Promise<Check[]> {
  const ref = fx.json;
  const text = await attempt(() =>
    tok.applyChatTemplate(ref.messages ?? [], {
      addGenerationPrompt: true,
      enableThinking: ref.enable_thinking ?? false,
      ...(ref.tools ? { tools: ref.tools } : {}),
    }),
  );
  if (typeof text !== 'string') {
    return [failedCheck(ref.prompt_text !== undefined ? 'prompt_text' : 'prompt_ids', 'rendering the chat template', text)];
  }
  const out: Check[] = [];
  if (ref.prompt_text !== undefined) out.push(textCheck('prompt_text', text, ref.prompt_text));
  const ids = await attempt(async () => Array.from(await tok.encode(text, { addSpecialTokens: false })));
  out.push(Array.isArray(ids) ? idsCheck('prompt_ids', ids, ref.prompt_ids, 'the reference prompt_ids') : failedCheck('prompt_ids', 'encoding the prompt', ids));
  return out;
}

/** e2e-chat: the generated ids, decoded as reference.json's text_decode says, against greedy.text. */
export async function decodedTextCheck(fx: Fixture, tok: ChatTokenizer, ids: readonly number[]): Promise<Check> {
  const skipSpecialTokens = fx.json.text_decode !== 'skip_special_tokens=false';
  const text = await attempt(() => tok.decode(ids, { skipSpecialTokens }));
  return typeof text === 'string' ? textCheck('greedy_text', text, fx.json.greedy.text ?? '') : failedCheck('greedy_text', 'decoding the ids', text);
}

/** The value, or the Error it threw (a failing check, not a crash: the tokenizer is under test too). */
async function attempt<R>(f: () => R | Promise<R>): Promise<R | Error> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
}
