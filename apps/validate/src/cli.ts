#!/usr/bin/env node
console.log("qo-validate");
