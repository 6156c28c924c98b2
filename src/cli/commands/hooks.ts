import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'hooks',
  usage: 'Usage: conveyor hooks (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor hooks' is not implemented yet");
  },
};
export default command;
