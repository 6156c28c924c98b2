import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'down',
  usage: 'Usage: conveyor down (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor down' is not implemented yet");
  },
};
export default command;
