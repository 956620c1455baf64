<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountSave</name>
    <message>
        <source>The URL {0} is not safe for an API key: use https:// (REST) and wss:// (WebSocket); plain http:// and ws:// are allowed only for this computer (localhost, 127.0.0.1, ::1).</source>
        <translation>URL {0} 对 API Key 不安全：请使用 https://（REST）和 wss://（WebSocket）；明文 http:// 和 ws:// 仅允许用于本机（localhost、127.0.0.1、::1）。</translation>
    </message>
    <message>
        <source>{0} is not a Binance host: your API key and everything MarginWatch reads go to it. Use it only if you trust whoever runs it.</source>
        <translation>{0} 不是币安的主机：你的 API Key 以及 MarginWatch 读取的所有数据都会发送给它。请仅在信任其运营者时使用。</translation>
    </message>
</context>
<context>
    <name>AccountSummary</name>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Wallet balance</source>
        <translation>钱包余额</translation>
    </message>
    <message>
        <source>Margin balance</source>
        <translation>保证金余额</translation>
    </message>
    <message>
        <source>Maint. margin</source>
        <translation>维持保证金</translation>
    </message>
    <message>
        <source>Margin ratio (cross)</source>
        <translation>保证金率（全仓）</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>No account yet</source>
        <translation>尚无账户</translation>
    </message>
    <message>
        <source>not connected</source>
        <translation>未连接</translation>
    </message>
    <message>
        <source>user</source>
        <translation>账户数据</translation>
    </message>
    <message>
        <source>market</source>
        <translation>行情</translation>
    </message>
    <message>
        <source>REST snapshot</source>
        <translation>REST 快照</translation>
    </message>
    <message>
        <source>reconnecting in {0}s</source>
        <translation>{0} 秒后重连</translation>
    </message>
    <message>
        <source>failed: {0}</source>
        <translation>失败：{0}</translation>
    </message>
    <message>
        <source>unknown error</source>
        <translation>未知错误</translation>
    </message>
    <message>
        <source>stale ({0}s silent)</source>
        <translation>数据停滞（{0} 秒无消息）</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>数据停滞</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>{0} · multi-assets</source>
        <translation>{0} · 联合保证金</translation>
    </message>
    <message>
        <source>Multi-assets mode: wallet and margin balance are the USD value of all collateral assets after their haircuts</source>
        <translation>联合保证金模式：钱包余额与保证金余额为全部保证金资产扣除折价后的 USD 价值</translation>
    </message>
    <message>
        <source>Cross maintenance margin / cross margin balance</source>
        <translation>全仓维持保证金 / 全仓保证金余额</translation>
    </message>
</context>
<context>
    <name>Alert</name>
    <message>
        <source>user</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>market</source>
        <translation>行情</translation>
    </message>
    <message>
        <source>BOTH</source>
        <translation>单向持仓</translation>
    </message>
    <message>
        <source>LONG</source>
        <translation>多头</translation>
    </message>
    <message>
        <source>SHORT</source>
        <translation>空头</translation>
    </message>
    <message>
        <source>ADL: {subject} on {account} is first in line</source>
        <translation>自动减仓：{account} 的 {subject} 排在队列最前</translation>
    </message>
    <message>
        <source>Auto-deleveraging bucket 4 of 4: if a trader is liquidated beyond what the insurance fund covers, this position is among the first the exchange closes against them.</source>
        <translation>自动减仓第 4 档（最高档）：若有交易者被强平且亏损超出保险基金的承受范围，交易所会最先平掉此类仓位与之对冲。</translation>
    </message>
    <message>
        <source>pays {amount}</source>
        <translation>支付 {amount}</translation>
    </message>
    <message>
        <source>receives {amount}</source>
        <translation>收取 {amount}</translation>
    </message>
    <message>
        <source>At the current mark and rate the funding at {when} {paid}: margin ratio {ratio} % after it.</source>
        <translation>按当前标记价格和费率，{when} 的资金费将{paid}：之后保证金率为 {ratio} %。</translation>
    </message>
    <message>
        <source>Liquidation {distance} % away after it.</source>
        <translation>之后距强平 {distance} %。</translation>
    </message>
    <message>
        <source>{level} after funding: {subject} on {account}</source>
        <translation>资金费后{level}：{account} 的 {subject}</translation>
    </message>
    <message>
        <source>symbol</source>
        <translation>交易对</translation>
    </message>
    <message>
        <source>side</source>
        <translation>持仓方向</translation>
    </message>
    <message>
        <source>size</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>margin type</source>
        <translation>保证金模式</translation>
    </message>
    <message>
        <source>isolated wallet</source>
        <translation>逐仓钱包余额</translation>
    </message>
    <message>
        <source>mark</source>
        <translation>标记价格</translation>
    </message>
    <message>
        <source>unrealized PnL</source>
        <translation>未实现盈亏</translation>
    </message>
    <message>
        <source>maint. margin</source>
        <translation>维持保证金</translation>
    </message>
    <message>
        <source>cross wallet</source>
        <translation>全仓钱包余额</translation>
    </message>
    <message>
        <source>event time</source>
        <translation>事件时间</translation>
    </message>
    <message>
        <source>position list</source>
        <translation>仓位列表</translation>
    </message>
    <message>
        <source>position {n}</source>
        <translation>第 {n} 个仓位</translation>
    </message>
    <message>
        <source>{field} ({position})</source>
        <translation>{field}（{position}）</translation>
    </message>
    <message>
        <source>Could not read: {fields}</source>
        <translation>无法读取：{fields}</translation>
    </message>
    <message>
        <source>one position</source>
        <translation>1 个仓位</translation>
    </message>
    <message>
        <source>{n} positions</source>
        <translation>{n} 个仓位</translation>
    </message>
    <message>
        <source>one unreadable field</source>
        <translation>1 个字段无法读取</translation>
    </message>
    <message>
        <source>{n} unreadable fields</source>
        <translation>{n} 个字段无法读取</translation>
    </message>
    <message>
        <source>Margin call on {account}: {what}, {fields}</source>
        <translation>{account} 追加保证金通知：{what}，{fields}</translation>
    </message>
    <message>
        <source>{symbol} {side} size {size} · mark {mark} · maint. margin {mm}</source>
        <translation>{symbol} {side} 数量 {size} · 标记价格 {mark} · 维持保证金 {mm}</translation>
    </message>
    <message>
        <source>Cross wallet: {cw} USDT</source>
        <translation>全仓钱包余额：{cw} USDT</translation>
    </message>
    <message>
        <source>Margin call on {account}: {symbols}</source>
        <translation>{account} 追加保证金通知：{symbols}</translation>
    </message>
    <message>
        <source>margin balance at or below zero: past liquidation (threshold {threshold} %)</source>
        <translation>保证金余额为零或以下：已超过强平线（阈值 {threshold} %）</translation>
    </message>
    <message>
        <source>margin ratio {value} % (threshold {threshold} %)</source>
        <translation>保证金率 {value}%（阈值 {threshold}%）</translation>
    </message>
    <message>
        <source>{value} % from liquidation (threshold {threshold} %)</source>
        <translation>距强平 {value}%（阈值 {threshold}%）</translation>
    </message>
    <message>
        <source>Danger</source>
        <translation>危险</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>cross account</source>
        <translation>全仓账户</translation>
    </message>
    <message>
        <source>Already at start: </source>
        <translation>启动时已触发：</translation>
    </message>
    <message>
        <source>{level}: {subject} on {account}</source>
        <translation>{level}：{account} · {subject}</translation>
    </message>
    <message>
        <source>REST snapshot restored on {account}</source>
        <translation>{account}：REST 快照已恢复</translation>
    </message>
    <message>
        <source>{stream} stream restored on {account}</source>
        <translation>{account}：{stream}数据流已恢复</translation>
    </message>
    <message>
        <source>Live data again.</source>
        <translation>实时数据已恢复。</translation>
    </message>
    <message>
        <source>no connection</source>
        <translation>无连接</translation>
    </message>
    <message>
        <source>REST snapshot failing on {account}</source>
        <translation>{account}：REST 快照失败</translation>
    </message>
    <message>
        <source>{stream} stream down on {account}</source>
        <translation>{account}：{stream}数据流中断</translation>
    </message>
    <message>
        <source>No live data for {seconds} s: {reason}. Figures shown may be stale.</source>
        <translation>已 {seconds} 秒无实时数据：{reason}。显示的数据可能已过时。</translation>
    </message>
    <message>
        <source>MarginWatch test notification</source>
        <translation>MarginWatch 测试通知</translation>
    </message>
    <message>
        <source>Notifications work. Margin calls and threshold alerts will look like this.</source>
        <translation>通知正常。追加保证金通知和阈值警报将以此形式显示。</translation>
    </message>
    <message>
        <source>{subject} on {account}: position closed</source>
        <translation>{account} 上的 {subject}：仓位已平</translation>
    </message>
    <message>
        <source>{subject} back to warning on {account}</source>
        <translation>{account} 上的 {subject} 已回到警告</translation>
    </message>
    <message>
        <source>{subject} back to calm on {account}</source>
        <translation>{account} 上的 {subject} 已回到平稳</translation>
    </message>
    <message>
        <source>Margin call on {account} cleared</source>
        <translation>{account} 的追加保证金通知已解除</translation>
    </message>
</context>
<context>
    <name>AlertBanner</name>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>AppController</name>
    <message>
        <source>Journal: {reason}</source>
        <translation>日志：{reason}</translation>
    </message>
    <message>
        <source>Heartbeat {url}</source>
        <translation>心跳 {url}</translation>
    </message>
    <message>
        <source>The what-if could not be computed: {why}</source>
        <translation>无法计算假设情景：{why}</translation>
    </message>
    <message>
        <source>Start-up failed: {e}</source>
        <translation>启动失败：{e}</translation>
    </message>
    <message>
        <source>{name}: no secret in the keychain; add it in Settings → Accounts.</source>
        <translation>{name}：钥匙串中没有 Secret Key，请在“设置 → 账户”中添加。</translation>
    </message>
    <message>
        <source>{name}: this API key can do more than read ({flags}). If this computer is compromised, someone could trade or move funds with it: make it read-only on Binance.</source>
        <translation>{name}：此 API Key 拥有读取以外的权限（{flags}）。如果这台电脑被入侵，他人可能用它交易或转移资金：请在币安上将其设为只读。</translation>
    </message>
    <message>
        <source>The journal could not save the margin call on {account} ({error}).</source>
        <translation>日志无法保存 {account} 的追加保证金通知（{error}）。</translation>
    </message>
    <message>
        <source>not live</source>
        <translation>非实时</translation>
    </message>
    <message>
        <source>The journal could not save “{title}” ({error}).</source>
        <translation>日志无法保存“{title}”（{error}）。</translation>
    </message>
    <message>
        <source>Acknowledged: its repeats on the forwarding channels stopped.</source>
        <translation>已确认：转发渠道上的重复提醒已停止。</translation>
    </message>
    <message>
        <source>That alert is no longer repeating on any forwarding channel.</source>
        <translation>该提醒已不在任何转发渠道上重复。</translation>
    </message>
</context>
<context>
    <name>AutoAddTab</name>
    <message>
        <source>Available margin</source>
        <translation>可用保证金</translation>
    </message>
    <message>
        <source>Current margin</source>
        <translation>当前保证金</translation>
    </message>
    <message>
        <source>initial margin</source>
        <translation>起始保证金</translation>
    </message>
    <message>
        <source>Maint. margin rate (%)</source>
        <translation>维持保证金率 (%)</translation>
    </message>
    <message>
        <source>MEXC-style</source>
        <translation>MEXC 规则</translation>
    </message>
    <message>
        <source>Binance</source>
        <translation>币安</translation>
    </message>
    <message>
        <source>Convention</source>
        <translation>计算规则</translation>
    </message>
    <message>
        <source>Added per trigger</source>
        <translation>每次追加</translation>
    </message>
    <message>
        <source>Margin before</source>
        <translation>追加前保证金</translation>
    </message>
    <message>
        <source>Liquidation price before</source>
        <translation>追加前强平价格</translation>
    </message>
    <message>
        <source>Trigger price</source>
        <translation>触发价格</translation>
    </message>
    <message>
        <source>Added</source>
        <translation>追加金额</translation>
    </message>
    <message>
        <source>Margin after</source>
        <translation>追加后保证金</translation>
    </message>
    <message>
        <source>Liq. price after</source>
        <translation>追加后强平价格</translation>
    </message>
    <message>
        <source>Available after</source>
        <translation>追加后可用</translation>
    </message>
    <message>
        <source>MEXC: maintenance margin fixed at the entry price; each trigger adds entry × size × MMR.</source>
        <translation>MEXC：维持保证金按开仓价格固定；每次触发追加 开仓价格 × 数量 × 维持保证金率。</translation>
    </message>
    <message>
        <source>Binance: margin balance = maintenance margin at the liquidation price, in its bracket.</source>
        <translation>币安：在强平价格处，保证金余额 = 所在档位的维持保证金。</translation>
    </message>
</context>
<context>
    <name>CalcTab</name>
    <message>
        <source>Results</source>
        <translation>计算结果</translation>
    </message>
</context>
<context>
    <name>Calculator</name>
    <message>
        <source>Required</source>
        <translation>必填</translation>
    </message>
    <message>
        <source>Not a number</source>
        <translation>不是有效数字</translation>
    </message>
    <message>
        <source>Too large</source>
        <translation>数值过大</translation>
    </message>
    <message>
        <source>Must be above 0</source>
        <translation>必须大于 0</translation>
    </message>
    <message>
        <source>Must not be negative</source>
        <translation>不能为负数</translation>
    </message>
    <message>
        <source>max %1x at this size</source>
        <translation>此数量最高 %1x</translation>
    </message>
    <message>
        <source>Must be at least 1x</source>
        <translation>至少为 1x</translation>
    </message>
    <message>
        <source>Above the bracket maximum of %1x at this size</source>
        <translation>超过此数量所在档位的最高杠杆 %1x</translation>
    </message>
    <message>
        <source>Out of range: check the numbers.</source>
        <translation>超出范围：请检查数值。</translation>
    </message>
    <message>
        <source>Enter the position above or at least one fill.</source>
        <translation>请在上方输入仓位，或至少添加一笔成交。</translation>
    </message>
    <message>
        <source>Required: no brackets for this symbol</source>
        <translation>必填：该交易对没有杠杆档位数据</translation>
    </message>
    <message>
        <source>Auto-add applies to isolated margin; this treats the position as isolated.</source>
        <translation>自动追加保证金仅适用于逐仓；此处按逐仓计算。</translation>
    </message>
    <message>
        <source>Nothing is added.</source>
        <translation>不会追加保证金。</translation>
    </message>
    <message>
        <source>Stopped after %1 additions.</source>
        <translation>追加 %1 次后停止。</translation>
    </message>
    <message>
        <source>Available margin spent: liquidation at %1 after the last addition.</source>
        <translation>可用保证金已用完：最后一次追加后的强平价格为 %1。</translation>
    </message>
    <message>
        <source>No available margin to add.</source>
        <translation>没有可追加的可用保证金。</translation>
    </message>
    <message>
        <source>%1x is above the bracket maximum of %2x.</source>
        <translation>%1x 超过所在档位的最高杠杆 %2x。</translation>
    </message>
    <message>
        <source>No leverage brackets for %1.</source>
        <translation>没有 %1 的杠杆档位数据。</translation>
    </message>
    <message>
        <source>This ROE cannot be reached at this leverage: the price would be 0 or below.</source>
        <translation>此杠杆下无法达到该回报率：价格将为 0 或更低。</translation>
    </message>
    <message>
        <source>No liquidation price: the margin covers a move to zero.</source>
        <translation>无强平价格：保证金足以承受价格跌至零。</translation>
    </message>
    <message>
        <source>No liquidation price: the margin covers any rise.</source>
        <translation>无强平价格：保证金足以承受任意涨幅。</translation>
    </message>
    <message>
        <source>from brackets</source>
        <translation>取自档位</translation>
    </message>
    <message>
        <source>Correct the marked fields to see results.</source>
        <translation>请更正标出的字段以查看结果。</translation>
    </message>
    <message>
        <source>Enter the figures above to see results.</source>
        <translation>在上方输入数值即可查看结果。</translation>
    </message>
    <message>
        <source>No leverage brackets for %1: pick a listed symbol.</source>
        <translation>没有 %1 的杠杆档位数据：请选择已上线的交易对。</translation>
    </message>
</context>
<context>
    <name>CalculatorDialog</name>
    <message>
        <source>Futures calculator</source>
        <translation>合约计算器</translation>
    </message>
    <message>
        <source>New calculation</source>
        <translation>新计算</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>重置</translation>
    </message>
    <message>
        <source>Restore the values from the position (or clear the fields)</source>
        <translation>恢复为仓位的数值（或清空输入）</translation>
    </message>
    <message>
        <source>PnL</source>
        <translation>收益</translation>
    </message>
    <message>
        <source>Target Price</source>
        <translation>目标价格</translation>
    </message>
    <message>
        <source>Liquidation Price</source>
        <translation>强平价格</translation>
    </message>
    <message>
        <source>Max Open</source>
        <translation>可开数量</translation>
    </message>
    <message>
        <source>Open Price</source>
        <translation>开仓价格</translation>
    </message>
    <message>
        <source>Auto-Add Margin</source>
        <translation>自动追加保证金</translation>
    </message>
    <message>
        <source>Estimates without fees or funding; the exchange&apos;s own figures decide.</source>
        <translation>估算值，未计手续费和资金费用；以交易所数据为准。</translation>
    </message>
    <message>
        <source>LONG</source>
        <translation>多</translation>
    </message>
    <message>
        <source>SHORT</source>
        <translation>空</translation>
    </message>
    <message>
        <source>From position %1 %2</source>
        <translation>来自仓位 %1 %2</translation>
    </message>
    <message>
        <source>Brackets: exchange (live)</source>
        <translation>杠杆档位：交易所（实时）</translation>
    </message>
    <message>
        <source>Brackets: bundled snapshot (may be out of date)</source>
        <translation>杠杆档位：内置快照（可能已过时）</translation>
    </message>
    <message>
        <source>Illustrative snapshot of the exchange&apos;s leverage brackets, for offline use (no exchange connected). BTCUSDT follows Binance&apos;s historical published table; the other symbols are plausible but not live values. Live brackets are always preferred.</source>
        <translation>交易所杠杆档位的示例快照，供离线使用（未连接交易所）。BTCUSDT 沿用币安历史公布的档位表；其他交易对的数据合理但并非实时数值。始终优先使用实时档位。</translation>
    </message>
    <message>
        <source>Brackets: none for this symbol</source>
        <translation>杠杆档位：该交易对无数据</translation>
    </message>
    <message>
        <source>Enter a maintenance margin rate where a tab asks for one.</source>
        <translation>请在需要的标签页中输入维持保证金率。</translation>
    </message>
</context>
<context>
    <name>ChannelManager</name>
    <message>
        <source>Forwarding failing — {0}</source>
        <translation>转发失败 — {0}</translation>
    </message>
    <message>
        <source>no URL is saved for this channel</source>
        <translation>此渠道未保存 URL</translation>
    </message>
    <message>
        <source>MarginWatch test notification</source>
        <translation>MarginWatch 测试通知</translation>
    </message>
    <message>
        <source>This channel will receive MarginWatch alerts.</source>
        <translation>此渠道将接收 MarginWatch 提醒。</translation>
    </message>
</context>
<context>
    <name>ChannelSettings</name>
    <message>
        <source>The channel id {0} is not usable.</source>
        <translation>渠道标识 {0} 无法使用。</translation>
    </message>
    <message>
        <source>The channel needs a name.</source>
        <translation>渠道需要一个名称。</translation>
    </message>
    <message>
        <source>The channel name is longer than {0} characters.</source>
        <translation>渠道名称超过 {0} 个字符。</translation>
    </message>
    <message>
        <source>Choose at least one kind of alert for the channel.</source>
        <translation>请为此渠道至少选择一种提醒。</translation>
    </message>
    <message>
        <source>Choose at least one account, or all accounts.</source>
        <translation>请至少选择一个账户，或选择全部账户。</translation>
    </message>
</context>
<context>
    <name>ChannelStore</name>
    <message>
        <source>The channel needs a URL, e.g. {0}.</source>
        <translation>渠道需要一个 URL，例如 {0}。</translation>
    </message>
    <message>
        <source>The URL has a space or line break in it.</source>
        <translation>URL 中含有空格或换行。</translation>
    </message>
    <message>
        <source>This URL cannot be used: {0}.</source>
        <translation>此 URL 无法使用：{0}。</translation>
    </message>
    <message>
        <source>Forwarding to {0} is off: {1}</source>
        <translation>转发到 {0} 已关闭：{1}</translation>
    </message>
    <message>
        <source>Forwarding to {0} is off: its URL is not in the keychain (enter it again in Settings → Notifications).</source>
        <translation>转发到 {0} 已关闭：钥匙串中没有它的 URL（请在 设置 → 通知 中重新输入）。</translation>
    </message>
</context>
<context>
    <name>CommonInputs</name>
    <message>
        <source>Long</source>
        <translation>做多</translation>
    </message>
    <message>
        <source>Short</source>
        <translation>做空</translation>
    </message>
    <message>
        <source>Linear (USD-M)</source>
        <translation>U 本位 (USD-M)</translation>
    </message>
    <message>
        <source>Inverse (COIN-M)</source>
        <translation>币本位 (COIN-M)</translation>
    </message>
    <message>
        <source>1</source>
        <translation>1</translation>
    </message>
    <message>
        <source>Isolated</source>
        <translation>逐仓</translation>
    </message>
    <message>
        <source>Cross</source>
        <translation>全仓</translation>
    </message>
    <message>
        <source>One-way</source>
        <translation>单向持仓</translation>
    </message>
    <message>
        <source>Hedge</source>
        <translation>双向持仓</translation>
    </message>
    <message>
        <source>e.g. 60000</source>
        <translation>例如 60000</translation>
    </message>
    <message>
        <source>contracts</source>
        <translation>张</translation>
    </message>
    <message>
        <source>Symbol</source>
        <translation>交易对</translation>
    </message>
    <message>
        <source>Side</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Margin</source>
        <translation>保证金模式</translation>
    </message>
    <message>
        <source>Contract</source>
        <translation>合约类型</translation>
    </message>
    <message>
        <source>Position mode</source>
        <translation>持仓模式</translation>
    </message>
    <message>
        <source>Entry price</source>
        <translation>开仓价格</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Leverage</source>
        <translation>杠杆</translation>
    </message>
    <message>
        <source>Face value (USD)</source>
        <translation>面值 (USD)</translation>
    </message>
    <message>
        <source>Contract size</source>
        <translation>合约乘数</translation>
    </message>
    <message>
        <source>USD value of one contract</source>
        <translation>每张合约的美元价值</translation>
    </message>
    <message>
        <source>Base units per contract (1 on Binance)</source>
        <translation>每张合约的标的数量（币安为 1）</translation>
    </message>
</context>
<context>
    <name>DailySummary</name>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>calm</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>danger</source>
        <translation>危险</translation>
    </message>
    <message>
        <source>Daily summary for {account}: {count} open position(s), {tier}</source>
        <translation>{account} 每日摘要：{count} 个持仓，{tier}</translation>
    </message>
    <message>
        <source>Margin ratio {ratio}, unrealized PnL {pnl}</source>
        <translation>保证金率 {ratio}，未实现盈亏 {pnl}</translation>
    </message>
    <message>
        <source>Nearest liquidation: {symbol} {side}, {distance} away</source>
        <translation>最近强平：{symbol} {side}，距离 {distance}</translation>
    </message>
</context>
<context>
    <name>DemoBanner</name>
    <message>
        <source>Demo mode: simulated exchange, no real account. Add a real account in Settings → Accounts.</source>
        <translation>演示模式：模拟交易所，非真实账户。请在“设置 → 账户”中添加真实账户。</translation>
    </message>
</context>
<context>
    <name>EventLog</name>
    <message>
        <source>Margin call</source>
        <translation>追加保证金</translation>
    </message>
    <message>
        <source>Threshold</source>
        <translation>阈值</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>Acknowledge (stop repeats on the channels)</source>
        <translation>确认（停止渠道上的重复提醒）</translation>
    </message>
</context>
<context>
    <name>Forwarder</name>
    <message>
        <source>MarginWatch stopped monitoring — no further alerts</source>
        <translation>MarginWatch 已停止监控——不会再有警报</translation>
    </message>
    <message>
        <source>[repeat {n}/{cap}] {title}</source>
        <translation>[第 {n}/{cap} 次提醒] {title}</translation>
    </message>
</context>
<context>
    <name>HistoryDialog</name>
    <message>
        <source>MarginWatch History</source>
        <translation>MarginWatch 历史记录</translation>
    </message>
    <message>
        <source>Margin call</source>
        <translation>追加保证金通知</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>警报</translation>
    </message>
    <message>
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Snapshot</source>
        <translation>快照</translation>
    </message>
    <message>
        <source>All accounts</source>
        <translation>全部账户</translation>
    </message>
    <message>
        <source>Everything</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>Symbol, e.g. BTCUSDT</source>
        <translation>交易对，例如 BTCUSDT</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>To</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Stop the selected alert repeating on the forwarding channels</source>
        <translation>停止所选提醒在转发渠道上重复</translation>
    </message>
    <message>
        <source>Show on risk chart</source>
        <translation>在风险图中查看</translation>
    </message>
    <message>
        <source>The risk history around the selected row&apos;s time (or double-click a row)</source>
        <translation>所选行时间前后的风险历史（或双击一行）</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Symbols</source>
        <translation>交易对</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>摘要</translation>
    </message>
    <message>
        <source>Margin call: {0}</source>
        <translation>追加保证金通知：{0}</translation>
    </message>
    <message>
        <source>user</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>market</source>
        <translation>行情</translation>
    </message>
    <message>
        <source>REST snapshot</source>
        <translation>REST 快照</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>live</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>数据停滞</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>{0} stream {1}</source>
        <translation>{0}数据流{1}</translation>
    </message>
    <message>
        <source>margin ratio {0}, margin balance {1}</source>
        <translation>保证金率 {0}，保证金余额 {1}</translation>
    </message>
    <message>
        <source>Could not read the history: %s</source>
        <translation>无法读取历史记录：%s</translation>
    </message>
    <message>
        <source>Showing the newest %d rows; narrow the filters to see older ones. Export writes every matching row.</source>
        <translation>显示最新的 %d 行；缩小筛选范围可查看更早的记录。导出会写入所有匹配的行。</translation>
    </message>
    <message>
        <source>%d rows</source>
        <translation>%d 行</translation>
    </message>
    <message>
        <source>Export history as CSV</source>
        <translation>将历史记录导出为 CSV</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Export failed: %s</source>
        <translation>导出失败：%s</translation>
    </message>
    <message>
        <source>Exported %d rows to %s</source>
        <translation>已导出 %d 行到 %s</translation>
    </message>
</context>
<context>
    <name>KeyCheck</name>
    <message>
        <source>MarginWatch only reads: use a read-only key (only &apos;Enable Reading&apos; ticked) restricted to your IP address (IP whitelist).</source>
        <translation>MarginWatch 只读取数据：请使用只读 API Key（仅勾选“允许读取”），并限制为你的 IP 地址（IP 白名单）。</translation>
    </message>
    <message>
        <source>futures</source>
        <translation>合约</translation>
    </message>
    <message>
        <source>spot and margin</source>
        <translation>现货和杠杆</translation>
    </message>
    <message>
        <source>margin</source>
        <translation>杠杆</translation>
    </message>
    <message>
        <source>options</source>
        <translation>期权</translation>
    </message>
    <message>
        <source>portfolio margin</source>
        <translation>统一账户</translation>
    </message>
    <message>
        <source>This key can trade ({0}). If this computer is compromised, someone could open or close positions with it.</source>
        <translation>此 API Key 可以交易（{0}）。如果这台电脑被入侵，他人可能用它开仓或平仓。</translation>
    </message>
    <message>
        <source>This key can WITHDRAW funds. Remove that permission on Binance now.</source>
        <translation>此 API Key 可以【提现】！请立即在币安上移除该权限。</translation>
    </message>
    <message>
        <source>This key can move funds between accounts.</source>
        <translation>此 API Key 可以在账户之间划转资金。</translation>
    </message>
    <message>
        <source>This key has permissions beyond reading: {0}. Remove them on Binance.</source>
        <translation>此 API Key 拥有读取以外的权限：{0}。请在 Binance 上移除这些权限。</translation>
    </message>
    <message>
        <source>This key is not restricted to your IP address.</source>
        <translation>此 API Key 未限制 IP 地址。</translation>
    </message>
    <message>
        <source>This key does not have &apos;Enable Reading&apos;, which MarginWatch needs.</source>
        <translation>此 API Key 未勾选 MarginWatch 所需的“允许读取”权限。</translation>
    </message>
    <message>
        <source>Your computer&apos;s clock is off by {0} s (behind Binance). MarginWatch corrects for this, but please turn on automatic time synchronisation in your system settings.</source>
        <translation>你的电脑时钟偏差 {0} 秒（慢于币安）。MarginWatch 会自动校正，但请在系统设置中开启自动时间同步。</translation>
    </message>
    <message>
        <source>Your computer&apos;s clock is off by {0} s (ahead of Binance). MarginWatch corrects for this, but please turn on automatic time synchronisation in your system settings.</source>
        <translation>你的电脑时钟偏差 {0} 秒（快于币安）。MarginWatch 会自动校正，但请在系统设置中开启自动时间同步。</translation>
    </message>
    <message>
        <source>Wrong API secret: Binance knows the key but could not verify the signature. Re-enter the secret that belongs to this key (for Ed25519, the private key matching the registered public key).</source>
        <translation>Secret Key 错误：币安识别了 API Key，但无法验证签名。请重新输入与此 API Key 对应的 Secret Key（Ed25519 则为与已登记公钥匹配的私钥）。</translation>
    </message>
    <message>
        <source>Wrong API key: its format is invalid. Check for a copy/paste error.</source>
        <translation>API Key 错误：格式无效。请检查是否复制粘贴有误。</translation>
    </message>
    <message>
        <source>Binance rejected the API key: either the key is wrong or deleted, or this computer&apos;s IP address is not on the key&apos;s IP whitelist (IP not whitelisted), or the key lacks the &apos;Enable Reading&apos; permission.</source>
        <translation>币安拒绝了此 API Key：可能 API Key 错误或已删除，或这台电脑的 IP 地址不在其 IP 白名单中，或未开启“允许读取”权限。</translation>
    </message>
    <message>
        <source>Network unreachable: cannot reach Binance. Check your connection. ({0})</source>
        <translation>网络不可用：无法连接币安。请检查网络连接。（{0}）</translation>
    </message>
    <message>
        <source>The secret is not usable: {0}.</source>
        <translation>Secret Key 无法使用：{0}。</translation>
    </message>
    <message>
        <source>Binance did not answer within {0} s.</source>
        <translation>币安在 {0} 秒内没有响应。</translation>
    </message>
    <message>
        <source>The key works: MarginWatch can read your futures account.</source>
        <translation>API Key 可用：MarginWatch 可以读取你的合约账户。</translation>
    </message>
    <message>
        <source>Could not read the key&apos;s permissions from Binance here; check on Binance&apos;s API management page that only &apos;Enable Reading&apos; is ticked.</source>
        <translation>无法在此处从币安读取该 API Key 的权限；请在币安的 API 管理页面确认只勾选了“允许读取”。</translation>
    </message>
    <message>
        <source>The key cannot trade or withdraw.</source>
        <translation>此 API Key 无法交易或提现。</translation>
    </message>
    <message>
        <source>MEXC does not tell MarginWatch what this key may do. MarginWatch only reads: on MEXC, give the key reading permissions only (no trading, no withdrawals) and bind it to your IP address.</source>
        <translation>MEXC 不会告诉 MarginWatch 此密钥能做什么。MarginWatch 只读取数据：请在 MEXC 上只给此密钥读取权限（不可交易、不可提现），并绑定你的 IP 地址。</translation>
    </message>
    <message>
        <source>MEXC did not answer in time.</source>
        <translation>MEXC 未及时响应。</translation>
    </message>
    <message>
        <source>The key reads the MEXC futures account.</source>
        <translation>此密钥可以读取 MEXC 合约账户。</translation>
    </message>
</context>
<context>
    <name>LiquidationChart</name>
    <message>
        <source>Distance to liquidation (%)</source>
        <translation>距强平 (%)</translation>
    </message>
    <message>
        <source>long</source>
        <translation>多</translation>
    </message>
    <message>
        <source>short</source>
        <translation>空</translation>
    </message>
    <message>
        <source>Mark: {0}</source>
        <translation>标记价格：{0}</translation>
    </message>
    <message>
        <source>Liq. price: {0}</source>
        <translation>强平价格：{0}</translation>
    </message>
    <message>
        <source>Distance: {0} ({1})</source>
        <translation>距强平：{0}（{1}）</translation>
    </message>
    <message>
        <source>Margin ratio: {0} ({1})</source>
        <translation>保证金率：{0}（{1}）</translation>
    </message>
    <message>
        <source>What-if: liquidated (from a move of {0})</source>
        <translation>假设：已强平（自 {0} 的变动起）</translation>
    </message>
    <message>
        <source>What-if: liq. price {0}, distance {1} ({2})</source>
        <translation>假设：强平价格 {0}，距强平 {1}（{2}）</translation>
    </message>
    <message>
        <source>L</source>
        <translation>多</translation>
    </message>
    <message>
        <source>S</source>
        <translation>空</translation>
    </message>
    <message>
        <source>no liq. price</source>
        <translation>无强平价格</translation>
    </message>
</context>
<context>
    <name>LiquidationTab</name>
    <message>
        <source>Margin</source>
        <translation>保证金</translation>
    </message>
    <message>
        <source>Other positions&apos; MM</source>
        <translation>其他仓位维持保证金</translation>
    </message>
    <message>
        <source>0</source>
        <translation>0</translation>
    </message>
    <message>
        <source>Other positions&apos; uPnL</source>
        <translation>其他仓位未实现盈亏</translation>
    </message>
    <message>
        <source>Maint. margin rate (%)</source>
        <translation>维持保证金率 (%)</translation>
    </message>
    <message>
        <source>Liquidation price</source>
        <translation>强平价格</translation>
    </message>
    <message>
        <source>Distance from entry</source>
        <translation>距开仓价格</translation>
    </message>
    <message>
        <source>Initial margin</source>
        <translation>起始保证金</translation>
    </message>
    <message>
        <source>Margin used</source>
        <translation>所用保证金</translation>
    </message>
    <message>
        <source>Maint. margin rate</source>
        <translation>维持保证金率</translation>
    </message>
    <message>
        <source>Maint. amount</source>
        <translation>维持保证金速算额</translation>
    </message>
    <message>
        <source>Cross wallet balance</source>
        <translation>全仓钱包余额</translation>
    </message>
    <message>
        <source>Isolated margin</source>
        <translation>逐仓保证金</translation>
    </message>
    <message>
        <source>balance</source>
        <translation>余额</translation>
    </message>
    <message>
        <source>initial margin</source>
        <translation>起始保证金</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>MarginWatch</source>
        <translation>MarginWatch</translation>
    </message>
    <message>
        <source>Chart loading…</source>
        <translation>图表加载中…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Calculator…</source>
        <translation>计算器(&amp;C)…</translation>
    </message>
    <message>
        <source>Open the futures calculator (Ctrl+K)</source>
        <translation>打开合约计算器 (Ctrl+K)</translation>
    </message>
    <message>
        <source>&amp;About MarginWatch</source>
        <translation>关于 MarginWatch(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;History…</source>
        <translation>历史记录(&amp;H)…</translation>
    </message>
    <message>
        <source>Margin calls, alerts and connection changes kept in the journal</source>
        <translation>日志中保存的追加保证金通知、警报和连接变化</translation>
    </message>
    <message>
        <source>&amp;Risk history…</source>
        <translation>风险历史(&amp;R)…</translation>
    </message>
    <message>
        <source>Margin ratio and distance to liquidation over time</source>
        <translation>保证金率与距强平距离随时间的变化</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>工具(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Main</source>
        <translation>主工具栏</translation>
    </message>
    <message>
        <source>About MarginWatch</source>
        <translation>关于 MarginWatch</translation>
    </message>
    <message>
        <source>MarginWatch watches Binance USDⓈ-M futures positions and warns before liquidation.
Figures are estimates; the exchange&apos;s own figures decide.</source>
        <translation>MarginWatch 监控币安 U 本位合约仓位，在强平之前发出警告。
数据均为估算值，以交易所数据为准。</translation>
    </message>
</context>
<context>
    <name>MaxOpenTab</name>
    <message>
        <source>Available balance</source>
        <translation>可用余额</translation>
    </message>
    <message>
        <source>Opened at the entry price above, at the leverage above.</source>
        <translation>按上方的开仓价格和杠杆开仓。</translation>
    </message>
    <message>
        <source>Max open size</source>
        <translation>可开数量</translation>
    </message>
    <message>
        <source>Max position value</source>
        <translation>最大仓位价值</translation>
    </message>
    <message>
        <source>Bracket cap at this leverage</source>
        <translation>此杠杆下的档位上限</translation>
    </message>
</context>
<context>
    <name>NotificationsTab</name>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Save channel</source>
        <translation>保存渠道</translation>
    </message>
    <message>
        <source>Send test</source>
        <translation>发送测试</translation>
    </message>
    <message>
        <source>e.g. Phone</source>
        <translation>例如：手机</translation>
    </message>
    <message>
        <source>Margin calls</source>
        <translation>追加保证金通知</translation>
    </message>
    <message>
        <source>Danger</source>
        <translation>危险</translation>
    </message>
    <message>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>Stream and monitor health</source>
        <translation>数据流与监控状态</translation>
    </message>
    <message>
        <source>Daily summary</source>
        <translation>每日摘要</translation>
    </message>
    <message>
        <source>All accounts</source>
        <translation>全部账户</translation>
    </message>
    <message>
        <source>Quiet from</source>
        <translation>免打扰：从</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>Margin calls and danger alerts are sent in quiet hours too. Desktop notifications, sound and the banner stay as they are.</source>
        <translation>追加保证金通知和危险提醒在免打扰时段也会发送。桌面通知、声音和横幅保持不变。</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <source>Sends</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Quiet hours</source>
        <translation>免打扰时段</translation>
    </message>
    <message>
        <source>Use for this run only</source>
        <translation>仅本次运行使用</translation>
    </message>
    <message>
        <source>Delivered ({0} s).</source>
        <translation>已送达（{0} 秒）。</translation>
    </message>
    <message>
        <source>Not delivered: {0}.</source>
        <translation>未送达：{0}。</translation>
    </message>
    <message>
        <source>Saved: {0} (type a new URL to replace it)</source>
        <translation>已保存：{0}（输入新的 URL 以替换）</translation>
    </message>
    <message>
        <source>ntfy://ntfy.sh/your-topic</source>
        <translation>ntfy://ntfy.sh/你的主题</translation>
    </message>
    <message>
        <source>Not saved.</source>
        <translation>未保存。</translation>
    </message>
    <message>
        <source>Channel saved; its URL is in the keychain.</source>
        <translation>渠道已保存；其 URL 存于钥匙串中。</translation>
    </message>
    <message>
        <source>Channel saved; its URL is kept until MarginWatch exits.</source>
        <translation>渠道已保存；其 URL 保留到 MarginWatch 退出。</translation>
    </message>
    <message>
        <source>Enter the channel&apos;s URL first.</source>
        <translation>请先输入渠道的 URL。</translation>
    </message>
    <message>
        <source>Sending a test…</source>
        <translation>正在发送测试…</translation>
    </message>
    <message>
        <source>no URL saved</source>
        <translation>未保存 URL</translation>
    </message>
    <message>
        <source>(this run only)</source>
        <translation>（仅本次运行）</translation>
    </message>
    <message>
        <source>failing: {0}</source>
        <translation>失败：{0}</translation>
    </message>
    <message>
        <source>failing</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Remove channel</source>
        <translation>删除渠道</translation>
    </message>
    <message>
        <source>Remove this channel and delete its URL from the keychain?</source>
        <translation>删除此渠道并从钥匙串中删除其 URL？</translation>
    </message>
</context>
<context>
    <name>OpenPriceTab</name>
    <message>
        <source>Price</source>
        <translation>价格</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>仓位</translation>
    </message>
    <message>
        <source>Add fill</source>
        <translation>添加成交</translation>
    </message>
    <message>
        <source>Average open price</source>
        <translation>开仓均价</translation>
    </message>
    <message>
        <source>Total size</source>
        <translation>总数量</translation>
    </message>
    <message>
        <source>price</source>
        <translation>价格</translation>
    </message>
    <message>
        <source>size</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Remove this fill</source>
        <translation>删除此笔成交</translation>
    </message>
    <message>
        <source>Fill %1</source>
        <translation>成交 %1</translation>
    </message>
</context>
<context>
    <name>PnlTab</name>
    <message>
        <source>Exit price</source>
        <translation>平仓价格</translation>
    </message>
    <message>
        <source>price</source>
        <translation>价格</translation>
    </message>
    <message>
        <source>Initial margin</source>
        <translation>起始保证金</translation>
    </message>
    <message>
        <source>PnL</source>
        <translation>收益</translation>
    </message>
    <message>
        <source>ROE</source>
        <translation>回报率</translation>
    </message>
</context>
<context>
    <name>PositionsModel</name>
    <message>
        <source>unavailable</source>
        <translation>无法计算</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Symbol</source>
        <translation>交易对</translation>
    </message>
    <message>
        <source>Side</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>Entry</source>
        <translation>开仓价格</translation>
    </message>
    <message>
        <source>Mark</source>
        <translation>标记价格</translation>
    </message>
    <message>
        <source>Liq. price</source>
        <translation>强平价格</translation>
    </message>
    <message>
        <source>Distance to liq.</source>
        <translation>距强平</translation>
    </message>
    <message>
        <source>Margin type</source>
        <translation>保证金模式</translation>
    </message>
    <message>
        <source>Margin ratio</source>
        <translation>保证金率</translation>
    </message>
    <message>
        <source>Unrealised PnL</source>
        <translation>未实现盈亏</translation>
    </message>
    <message>
        <source>Next funding</source>
        <translation>下次资金费</translation>
    </message>
    <message>
        <source>ADL</source>
        <translation>自动减仓</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近一小时</translation>
    </message>
    <message>
        <source>Exchange&apos;s liquidation price at the last snapshot: {0}; ours from the same prices: {1}</source>
        <translation>上次快照时交易所的强平价格：{0}；按相同价格本地计算：{1}</translation>
    </message>
    <message>
        <source>Long</source>
        <translation>多</translation>
    </message>
    <message>
        <source>Short</source>
        <translation>空</translation>
    </message>
    <message>
        <source>Cross</source>
        <translation>全仓</translation>
    </message>
    <message>
        <source>Isolated</source>
        <translation>逐仓</translation>
    </message>
    <message>
        <source>LONG</source>
        <translation>多头</translation>
    </message>
    <message>
        <source>SHORT</source>
        <translation>空头</translation>
    </message>
    <message>
        <source>BOTH</source>
        <translation>单向持仓</translation>
    </message>
    <message>
        <source>Cross account&apos;s margin ratio (maintenance margin / margin balance): {0}</source>
        <translation>全仓账户保证金率（维持保证金 / 保证金余额）：{0}</translation>
    </message>
    <message>
        <source>This isolated position&apos;s margin ratio: {0}</source>
        <translation>该逐仓仓位的保证金率：{0}</translation>
    </message>
    <message>
        <source>MEXC&apos;s own margin ratio: {0} (margin ÷ position value, lower is worse). MarginWatch shows maintenance margin ÷ margin balance: higher is worse, 100 % is liquidation.</source>
        <translation>MEXC 自己的保证金率：{0}（保证金 ÷ 仓位价值，越低越危险）。MarginWatch 显示的是维持保证金 ÷ 保证金余额：越高越危险，100 % 即强平。</translation>
    </message>
    <message>
        <source>No leverage brackets for this symbol: its maintenance margin and liquidation price are unknown</source>
        <translation>没有该交易对的杠杆档位数据：其维持保证金和强平价格未知</translation>
    </message>
    <message>
        <source>Next funding at {0} (rate {1}): {2} at the current mark and rate</source>
        <translation>下次资金费时间 {0}（费率 {1}）：按当前标记价格和费率为 {2}</translation>
    </message>
    <message>
        <source>Paid from this isolated position&apos;s margin: its liquidation price moves from {0} to {1} ({2} away)</source>
        <translation>从该逐仓仓位的保证金中支付：其强平价格由 {0} 变为 {1}（相距 {2}）</translation>
    </message>
    <message>
        <source>Auto-deleveraging queue: bucket {0} of 0-4 (4: first to be closed against a liquidated trader)</source>
        <translation>自动减仓队列：第 {0} 档（0-4；4 表示最先被用来对冲被强平的交易者）</translation>
    </message>
    <message>
        <source>Margin ratio over the last hour (double-click for the risk chart)</source>
        <translation>最近一小时的保证金率（双击打开风险图）</translation>
    </message>
    <message>
        <source>Position side: {0}</source>
        <translation>持仓方向：{0}</translation>
    </message>
</context>
<context>
    <name>PositionsTable</name>
    <message>
        <source>Open calculator…</source>
        <translation>打开计算器…</translation>
    </message>
    <message>
        <source>Risk history…</source>
        <translation>风险历史…</translation>
    </message>
</context>
<context>
    <name>RiskHistoryChart</name>
    <message>
        <source>Last hour</source>
        <translation>最近一小时</translation>
    </message>
    <message>
        <source>Last day</source>
        <translation>最近一天</translation>
    </message>
    <message>
        <source>Last week</source>
        <translation>最近一周</translation>
    </message>
    <message>
        <source>Margin ratio (%)</source>
        <translation>保证金率 (%)</translation>
    </message>
    <message>
        <source>Distance to liquidation (%)</source>
        <translation>距强平 (%)</translation>
    </message>
    <message>
        <source>Mark price</source>
        <translation>标记价格</translation>
    </message>
    <message>
        <source>{0}: account margin ratio</source>
        <translation>{0}：账户保证金率</translation>
    </message>
    <message>
        <source>No samples in this window yet: one is taken every 10 seconds.</source>
        <translation>此时间段内还没有采样：每 10 秒采样一次。</translation>
    </message>
    <message>
        <source>%d samples</source>
        <translation>%d 个采样</translation>
    </message>
</context>
<context>
    <name>RiskHistoryDialog</name>
    <message>
        <source>MarginWatch Risk history</source>
        <translation>MarginWatch 风险历史</translation>
    </message>
</context>
<context>
    <name>SecretStore</name>
    <message>
        <source>No system keychain was found (on Linux this needs a Secret Service such as GNOME Keyring or KWallet running in your session), so secrets cannot be stored.</source>
        <translation>未找到系统钥匙串（在 Linux 上需要会话中运行 Secret Service，例如 GNOME 钥匙环或 KWallet），因此无法保存 Secret Key。</translation>
    </message>
    <message>
        <source>The keychain is switched off (keyring&apos;s null backend is configured), so secrets cannot be stored.</source>
        <translation>钥匙串已关闭（配置了 keyring 的空后端），因此无法保存 Secret Key。</translation>
    </message>
    <message>
        <source>Only a file-based keyring ({0}) is available, not the system keychain, so MarginWatch will not store secrets with it.</source>
        <translation>只有基于文件的钥匙串（{0}）可用，而非系统钥匙串，因此 MarginWatch 不会用它保存 Secret Key。</translation>
    </message>
    <message>
        <source>Not saved: {0} You can still use the key for this run only.</source>
        <translation>未保存：{0} 你仍可在本次运行中使用此 API Key。</translation>
    </message>
    <message>
        <source>The keychain ({0}) could not save the secret for account {1}: </source>
        <translation>钥匙串（{0}）无法保存账户 {1} 的 Secret Key：</translation>
    </message>
    <message>
        <source>The keychain ({0}) could not read the secret for account {1}: </source>
        <translation>钥匙串（{0}）无法读取账户 {1} 的 Secret Key：</translation>
    </message>
    <message>
        <source>The keychain ({0}) could not delete the secret for account {1}: </source>
        <translation>钥匙串（{0}）无法删除账户 {1} 的 Secret Key：</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>The account needs a name.</source>
        <translation>账户需要一个名称。</translation>
    </message>
    <message>
        <source>The account name must not start or end with spaces.</source>
        <translation>账户名称的开头和结尾不能有空格。</translation>
    </message>
    <message>
        <source>Unknown environment {0}.</source>
        <translation>未知的环境 {0}。</translation>
    </message>
    <message>
        <source>Unknown futures market {0}.</source>
        <translation>未知的合约市场 {0}。</translation>
    </message>
    <message>
        <source>Unknown key type {0}.</source>
        <translation>未知的密钥类型 {0}。</translation>
    </message>
    <message>
        <source>Unknown exchange {0}.</source>
        <translation>未知的交易所 {0}。</translation>
    </message>
    <message>
        <source>MEXC has no futures testnet: choose Mainnet or Custom.</source>
        <translation>MEXC 没有合约测试网：请选择主网或自定义。</translation>
    </message>
    <message>
        <source>MEXC keys are HMAC keys (a secret key), not Ed25519.</source>
        <translation>MEXC 的密钥是 HMAC 密钥（secret key），不是 Ed25519。</translation>
    </message>
    <message>
        <source>The API key is empty.</source>
        <translation>API Key 为空。</translation>
    </message>
    <message>
        <source>The API key has spaces or a line break at its start or end.</source>
        <translation>API Key 的开头或结尾有空格或换行。</translation>
    </message>
    <message>
        <source>A custom environment needs a REST base URL starting with http:// or https://.</source>
        <translation>自定义环境需要以 http:// 或 https:// 开头的 REST 接口地址。</translation>
    </message>
    <message>
        <source>A custom environment needs a WebSocket base URL starting with ws:// or wss://.</source>
        <translation>自定义环境需要以 ws:// 或 wss:// 开头的 WebSocket 地址。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>MarginWatch Settings</source>
        <translation>MarginWatch 设置</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>账户</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>警报</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>通知</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Save the Alerts and General tabs (accounts are saved with their own button)</source>
        <translation>保存“警报”和“常规”页的设置（账户用各自的按钮保存）</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>删除…</translation>
    </message>
    <message>
        <source>Binance USDⓈ-M futures</source>
        <translation>币安 U 本位合约</translation>
    </message>
    <message>
        <source>MEXC futures (read-only API)</source>
        <translation>MEXC 合约（只读 API）</translation>
    </message>
    <message>
        <source>Mainnet</source>
        <translation>主网</translation>
    </message>
    <message>
        <source>Testnet</source>
        <translation>测试网</translation>
    </message>
    <message>
        <source>Custom URLs</source>
        <translation>自定义地址</translation>
    </message>
    <message>
        <source>USDⓈ-M</source>
        <translation>U本位</translation>
    </message>
    <message>
        <source>COIN-M</source>
        <translation>币本位</translation>
    </message>
    <message>
        <source>USDⓈ-M and COIN-M</source>
        <translation>U本位和币本位</translation>
    </message>
    <message>
        <source>HMAC (secret key)</source>
        <translation>HMAC（Secret Key）</translation>
    </message>
    <message>
        <source>Ed25519 (private key, PEM)</source>
        <translation>Ed25519（私钥，PEM）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Exchange</source>
        <translation>交易所</translation>
    </message>
    <message>
        <source>Environment</source>
        <translation>环境</translation>
    </message>
    <message>
        <source>Futures</source>
        <translation>合约类型</translation>
    </message>
    <message>
        <source>REST base URL</source>
        <translation>REST 接口地址</translation>
    </message>
    <message>
        <source>WebSocket base URL</source>
        <translation>WebSocket 地址</translation>
    </message>
    <message>
        <source>Key type</source>
        <translation>密钥类型</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API Key</translation>
    </message>
    <message>
        <source>Secret</source>
        <translation>Secret Key</translation>
    </message>
    <message>
        <source>Use a read-only key (only &apos;Enable Reading&apos;) restricted to your IP address. The secret is kept in the system keychain, nowhere else.</source>
        <translation>请使用只读 API Key（仅勾选“允许读取”），并限制为你的 IP 地址。Secret Key 只保存在系统钥匙串中，不会存放在其他地方。</translation>
    </message>
    <message>
        <source>Test key</source>
        <translation>测试 API Key</translation>
    </message>
    <message>
        <source>Save account</source>
        <translation>保存账户</translation>
    </message>
    <message>
        <source>Use for this run only</source>
        <translation>仅本次运行使用</translation>
    </message>
    <message>
        <source>Ticked: monitored. Unticked: kept but not monitored.</source>
        <translation>勾选：监控。不勾选：保留但不监控。</translation>
    </message>
    <message>
        <source>(kept in the keychain: leave empty to keep it)</source>
        <translation>（已保存在钥匙串中：留空则保持不变）</translation>
    </message>
    <message>
        <source>Enter the secret to test the key.</source>
        <translation>请输入 Secret Key 以测试 API Key。</translation>
    </message>
    <message>
        <source>Testing the key for %s…</source>
        <translation>正在测试 %s 的 API Key…</translation>
    </message>
    <message>
        <source>Key test for %s: passed.</source>
        <translation>%s 的 API Key 测试通过。</translation>
    </message>
    <message>
        <source>Key test for %s: failed.</source>
        <translation>%s 的 API Key 测试未通过。</translation>
    </message>
    <message>
        <source>Warnings:</source>
        <translation>警告：</translation>
    </message>
    <message>
        <source>This key can do more than read (%s). The account %s is saved but not monitored: make the key read-only on Binance, or confirm that MarginWatch should use it anyway.</source>
        <translation>此 API Key 拥有读取以外的权限（%s）。账户 %s 已保存但未监控：请在币安上将该 API Key 设为只读，或确认 MarginWatch 仍然使用它。</translation>
    </message>
    <message>
        <source>Monitor with this key anyway</source>
        <translation>仍然使用此 API Key 监控</translation>
    </message>
    <message>
        <source>This key can do more than read (%s): anyone who gets hold of it from this computer could trade or move your funds. Make it read-only on Binance, or save it anyway.</source>
        <translation>此 API Key 拥有读取以外的权限（%s）：任何从这台电脑拿到它的人都可能交易或转移你的资金。请在币安上将其设为只读，或仍然保存。</translation>
    </message>
    <message>
        <source>Save this key anyway</source>
        <translation>仍然保存此 API Key</translation>
    </message>
    <message>
        <source>An account named %s already exists.</source>
        <translation>已存在名为 %s 的账户。</translation>
    </message>
    <message>
        <source>Enter the API secret (or, for Ed25519, the private key).</source>
        <translation>请输入 Secret Key（Ed25519 则输入私钥）。</translation>
    </message>
    <message>
        <source>The secret was not saved. %s

You can still use this key until MarginWatch exits; you will need to enter the secret again next time.</source>
        <translation>Secret Key 未保存。%s

在 MarginWatch 退出前仍可使用此 API Key；下次需要重新输入 Secret Key。</translation>
    </message>
    <message>
        <source>Saved. The secret is in the keychain (%s).</source>
        <translation>已保存。Secret Key 已存入钥匙串（%s）。</translation>
    </message>
    <message>
        <source>Using this key until MarginWatch exits; its secret was not stored.</source>
        <translation>在 MarginWatch 退出前使用此 API Key；其 Secret Key 未保存。</translation>
    </message>
    <message>
        <source>Remove account</source>
        <translation>删除账户</translation>
    </message>
    <message>
        <source>Remove the account %s and delete its secret from the keychain?</source>
        <translation>删除账户 %s，并从钥匙串中删除其 Secret Key？</translation>
    </message>
    <message>
        <source>Removed %s.</source>
        <translation>已删除 %s。</translation>
    </message>
    <message>
        <source>This account has its own thresholds</source>
        <translation>此账户使用单独的阈值</translation>
    </message>
    <message>
        <source> pts</source>
        <translation> 个百分点</translation>
    </message>
    <message>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <source>Margin ratio: warning at</source>
        <translation>保证金率：警告阈值</translation>
    </message>
    <message>
        <source>Margin ratio: danger at</source>
        <translation>保证金率：危险阈值</translation>
    </message>
    <message>
        <source>Distance to liquidation: warning within</source>
        <translation>距强平：警告阈值</translation>
    </message>
    <message>
        <source>Distance to liquidation: danger within</source>
        <translation>距强平：危险阈值</translation>
    </message>
    <message>
        <source>Margin ratio hysteresis</source>
        <translation>保证金率回差</translation>
    </message>
    <message>
        <source>Distance hysteresis</source>
        <translation>距强平回差</translation>
    </message>
    <message>
        <source>Repeat an alert at most every</source>
        <translation>同一警报最短重复间隔</translation>
    </message>
    <message>
        <source>Warn when a stream is down for</source>
        <translation>数据流中断多久后警告</translation>
    </message>
    <message>
        <source>Thresholds for</source>
        <translation>阈值适用于</translation>
    </message>
    <message>
        <source>All accounts (default)</source>
        <translation>全部账户（默认）</translation>
    </message>
    <message>
        <source>Thresholds not valid: %s</source>
        <translation>阈值无效：%s</translation>
    </message>
    <message>
        <source>Play a sound with alerts</source>
        <translation>警报时播放声音</translation>
    </message>
    <message>
        <source>Alert when the next funding payment would cross a threshold</source>
        <translation>下次资金费将越过阈值时发出提醒</translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation>启动时最小化到托盘</translation>
    </message>
    <message>
        <source>Start MarginWatch when I log in</source>
        <translation>登录时启动 MarginWatch</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>A new language takes effect when MarginWatch restarts.</source>
        <translation>新语言将在 MarginWatch 重启后生效。</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Settings saved.</source>
        <translation>设置已保存。</translation>
    </message>
</context>
<context>
    <name>ShockResultsModel</name>
    <message>
        <source>Position</source>
        <translation>仓位</translation>
    </message>
    <message>
        <source>Its move</source>
        <translation>其变动</translation>
    </message>
    <message>
        <source>Liq. price now → shocked</source>
        <translation>强平价格 当前 → 冲击后</translation>
    </message>
    <message>
        <source>Distance</source>
        <translation>距强平</translation>
    </message>
    <message>
        <source>Margin ratio</source>
        <translation>保证金率</translation>
    </message>
    <message>
        <source>Then</source>
        <translation>冲击后</translation>
    </message>
    <message>
        <source>Liquidated from</source>
        <translation>强平起点</translation>
    </message>
</context>
<context>
    <name>SleepWatch</name>
    <message>
        <source>The clock was set back from {a} to {b}; resyncing every account.</source>
        <translation>系统时钟从 {a} 被调回到 {b}；正在重新同步所有账户。</translation>
    </message>
    <message>
        <source>Monitoring was paused from {a} to {b}; resyncing every account.</source>
        <translation>监控在 {a} 至 {b} 期间暂停；正在重新同步所有账户。</translation>
    </message>
    <message>
        <source>No alerts could be raised in that time.</source>
        <translation>此期间无法发出任何警报。</translation>
    </message>
</context>
<context>
    <name>TargetTab</name>
    <message>
        <source>Target ROE (%)</source>
        <translation>目标回报率 (%)</translation>
    </message>
    <message>
        <source>e.g. 50 or -20</source>
        <translation>例如 50 或 -20</translation>
    </message>
    <message>
        <source>Target price</source>
        <translation>目标价格</translation>
    </message>
    <message>
        <source>Price move</source>
        <translation>价格变动</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <source>Show MarginWatch</source>
        <translation>显示 MarginWatch</translation>
    </message>
    <message>
        <source>Acknowledge alerts</source>
        <translation>确认警报</translation>
    </message>
    <message>
        <source>Calculator…</source>
        <translation>计算器…</translation>
    </message>
    <message>
        <source>Send test notification</source>
        <translation>发送测试通知</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
</context>
<context>
    <name>WhatIfPanel</name>
    <message>
        <source>Which marks move</source>
        <translation>哪些标记价格变动</translation>
    </message>
    <message>
        <source>Drag to move the marks down (left) or up (right)</source>
        <translation>拖动以下调（向左）或上调（向右）标记价格</translation>
    </message>
    <message>
        <source>The move, exactly (negative: down)</source>
        <translation>精确变动幅度（负数：下跌）</translation>
    </message>
    <message>
        <source>Alts (every symbol but BTCUSDT) move this many times the move</source>
        <translation>山寨币（除 BTCUSDT 外的所有交易对）按此倍数变动</translation>
    </message>
    <message>
        <source>Back to now</source>
        <translation>回到当前</translation>
    </message>
    <message>
        <source>Move the marks to see what a price shock would do.</source>
        <translation>移动标记价格，查看价格冲击的影响。</translation>
    </message>
    <message>
        <source>What if</source>
        <translation>假设</translation>
    </message>
    <message>
        <source>Alts</source>
        <translation>山寨币</translation>
    </message>
    <message>
        <source>Every mark</source>
        <translation>所有标记价格</translation>
    </message>
    <message>
        <source>Alts (all but BTCUSDT)</source>
        <translation>山寨币（除 BTCUSDT 外）</translation>
    </message>
    <message>
        <source>long</source>
        <translation>多头</translation>
    </message>
    <message>
        <source>short</source>
        <translation>空头</translation>
    </message>
    <message>
        <source>✕ liquidated</source>
        <translation>✕ 已强平</translation>
    </message>
    <message>
        <source>not within range</source>
        <translation>不在范围内</translation>
    </message>
    <message>
        <source>every mark</source>
        <translation>所有标记价格</translation>
    </message>
    <message>
        <source>{move} on {scope}: {gone} of {count} positions liquidated.</source>
        <translation>{scope} 变动 {move}：{count} 个仓位中 {gone} 个被强平。</translation>
    </message>
    <message>
        <source>No move in this direction liquidates any of them.</source>
        <translation>此方向上的任何变动都不会强平它们。</translation>
    </message>
    <message>
        <source>{name} at {move}</source>
        <translation>{name}（{move}）</translation>
    </message>
    <message>
        <source>First to go: {names}</source>
        <translation>最先强平：{names}</translation>
    </message>
</context>
<context>
    <name>tier</name>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>calm</source>
        <translation>安全</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>danger</source>
        <translation>危险</translation>
    </message>
    <message>
        <source>the margin ratio ({0} at or over {1} %)</source>
        <translation>保证金率（≥ {1}% 为{0}）</translation>
    </message>
    <message>
        <source>the distance to liquidation ({0} at or under {1} %)</source>
        <translation>距强平（≤ {1}% 为{0}）</translation>
    </message>
    <message>
        <source>Tier: unknown (no margin ratio or distance to liquidation)</source>
        <translation>风险等级：未知（无保证金率或距强平数据）</translation>
    </message>
    <message>
        <source>Tier: {0}, set by {1}</source>
        <translation>风险等级：{0}，由{1}决定</translation>
    </message>
    <message>
        <source>Tier: calm: neither {0} nor {1}</source>
        <translation>风险等级：安全：{0}与{1}均未触发</translation>
    </message>
    <message>
        <source>Tier: {0}, set by {1} and {2}</source>
        <translation>风险等级：{0}，由{1}和{2}决定</translation>
    </message>
</context>
</TS>
