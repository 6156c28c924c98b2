import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'apply',
  usage: 'Usage: conveyor apply (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor apply' is not implemented yet");
  },
};
export default command;
