import { WorkFailedError } from '../../core/errors.js';
import type { Command } from '../context.js';

const command: Command = {
  summary: 'synth',
  usage: 'Usage: conveyor synth (not implemented yet)',
  async run() {
    throw new WorkFailedError("'conveyor synth' is not implemented yet");
  },
};
export default command;
