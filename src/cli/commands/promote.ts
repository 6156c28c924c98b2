import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'promote',
  usage: 'Usage: conveyor promote (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor promote' is not implemented yet");
  },
};
export default command;
