import { loadChat } from '@qo/qwen3';

const chat = await loadChat(process.argv[2] ?? 'Qwen/Qwen3-0.6B', { dtype: 'q8_0' });
for await (const part of chat.stream([{ role: 'user', content: 'Hi!' }])) process.stdout.write(part.text);
