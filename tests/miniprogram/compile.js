// Check (a): every .wxml of the mini program compiles with WeChat's own `wcc`, and every .wxss
// with `wcsc` (both shipped as Linux binaries by miniprogram-compiler). wcc refuses unclosed
// tags and bad {{ }} expressions, naming the file, line and column.
'use strict'
const path = require('node:path')
const fs = require('node:fs')
const { wxmlToJs, wxssToJs } = require('miniprogram-compiler')

const ROOT = path.resolve(__dirname, '../../miniprogram')

function files (dir, ext) {
  return fs.readdirSync(dir, { recursive: true })
    .filter((name) => String(name).endsWith(ext))
    .map((name) => String(name).split(path.sep).join('/'))
}

let failed = 0
const wxml = files(ROOT, '.wxml')
for (const file of wxml) {
  // One at a time, so a failure names its file.
  try {
    if (!wxmlToJs(ROOT, { wxmlList: [file], wxsList: [] }).includes(file)) {
      throw new Error('wcc produced no template')
    }
    console.log(`ok   ${file}`)
  } catch (err) {
    failed++
    console.log(`FAIL ${file}\n${err.message}`)
  }
}
const wxss = files(ROOT, '.wxss')
try {
  const compiled = wxssToJs(ROOT, { wxssList: wxss })
  for (const file of wxss) {
    if (!compiled.includes(file)) throw new Error(`wcsc produced nothing for ${file}`)
  }
  console.log(`ok   ${wxss.length} .wxss files`)
} catch (err) {
  failed++
  console.log(`FAIL wxss\n${err.message}`)
}
// The WeUI styles are a copy of the pinned package's file, unchanged (its license header too).
const weui = path.join(__dirname, 'node_modules/weui-wxss/dist/style/weui.wxss')
if (fs.readFileSync(path.join(ROOT, 'styles/weui.wxss')).equals(fs.readFileSync(weui))) {
  console.log('ok   styles/weui.wxss is weui-wxss ' + require('weui-wxss/package.json').version)
} else {
  failed++
  console.log('FAIL styles/weui.wxss differs from the weui-wxss package: copy it again')
}
if (!wxml.length) failed++
console.log(`wxml: ${wxml.length} compiled, ${failed} failed`)
process.exit(failed ? 1 : 0)
