// Runs on the audio thread: mono, resampled to 16 kHz, PCM16 little-endian, 20 ms (320-sample) frames.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;   // input samples per output sample
    this.pos = 0;                      // fractional read position into the current block
    this.prev = 0;                     // last input sample of the previous block (for interpolation)
    this.frame = new Int16Array(320);
    this.n = 0;
  }
  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const ch = input[0];
    const len = ch.length;
    // Mix down to mono.
    const mono = new Float32Array(len);
    for (let c = 0; c < input.length; c++) for (let i = 0; i < len; i++) mono[i] += input[c][i] / input.length;
    while (this.pos < len) {
      const i = Math.floor(this.pos), f = this.pos - i;
      const a = i === 0 ? this.prev : mono[i - 1], b = mono[i];
      const s = Math.max(-1, Math.min(1, a + (b - a) * f));
      this.frame[this.n++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.n === 320) {
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Int16Array(320);
        this.n = 0;
      }
      this.pos += this.ratio;
    }
    this.pos -= len;
    this.prev = mono[len - 1];
    return true;
  }
}
registerProcessor("capture-processor", CaptureProcessor);
