import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'plan',
  usage: 'Usage: conveyor plan (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor plan' is not implemented yet");
  },
};
export default command;
