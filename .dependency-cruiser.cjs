/** Architecture rules enforced in CI (npm run lint). */
module.exports = {
  forbidden: [
    {
      name: 'core-no-frameworks',
      comment: 'core/ is the domain: it never imports chat, queue or HTTP frameworks.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: 'node_modules/(telegraf|discord\\.js|@discordjs|bullmq|express|ioredis|stripe)/' },
    },
    {
      name: 'core-no-adapters',
      comment: 'Interfaces point inward: core/ never imports bots/ or workers/.',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(bots|workers)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(node_modules|\\.test\\.ts$)' },
  },
};
