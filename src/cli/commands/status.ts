import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'status',
  usage: 'Usage: conveyor status (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor status' is not implemented yet");
  },
};
export default command;
