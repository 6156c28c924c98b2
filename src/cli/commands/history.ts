import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'history',
  usage: 'Usage: conveyor history (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor history' is not implemented yet");
  },
};
export default command;
