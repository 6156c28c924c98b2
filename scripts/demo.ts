// Placeholder until the deploy engine lands: see README.
console.log('demo: the deploy engine has not landed yet');
